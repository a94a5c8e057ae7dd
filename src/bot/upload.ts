import { DefaultRestOptions, type RESTOptions } from 'discord.js';

type MakeRequest = RESTOptions['makeRequest'];

/**
 * discord.js builds a message's multipart body once and streams it to the socket. When the connection
 * resets mid-upload, its retry streams the same, already closed, body again, and Node throws from
 * inside the stream where no handler of ours can catch it: the process dies. Encoding the form to
 * bytes before each attempt makes every attempt, the first and each retry, send a whole fresh body.
 */
export const makeReplayableRequest: MakeRequest = async (url, init) => {
  if (!(init.body instanceof FormData)) return DefaultRestOptions.makeRequest(url, init);
  const encoded = new Response(init.body);
  const body = new Uint8Array(await encoded.arrayBuffer());
  // discord.js passes its headers as a plain object and leaves the multipart type to the body.
  const headers = {
    ...(init.headers as Readonly<Record<string, string>> | undefined),
    'content-type': encoded.headers.get('content-type') ?? 'multipart/form-data',
  };
  return DefaultRestOptions.makeRequest(url, { ...init, body, headers });
};
