/** A model's text as JSON, or null when it is not JSON at all (the caller's schema then refuses it). */
export function parseModelJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
