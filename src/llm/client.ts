import OpenAI from 'openai';
import type { LlmSettings } from '../config/index.ts';
import type { FetchFn } from '../lib/http.ts';

/** The model, built once in a composition root; null when OPENAI_API_KEY is unset. */
export function createLlmClient(settings: LlmSettings, fetch: FetchFn): OpenAI | null {
  if (settings.apiKey === null) return null;
  // Every setting is passed explicitly: the library would otherwise read OPENAI_* from the environment
  // (all but OPENAI_CUSTOM_HEADERS, which it reads regardless). Its console logging is off: we log.
  return new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    logLevel: 'off',
    fetch,
  });
}
