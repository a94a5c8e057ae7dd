/** Text kept under a key for a while, shared between bot processes (Redis when REDIS_URL is set). */
export interface SharedText {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/**
 * JSON that keeps NaN and infinities (a report's n/a, a quote's session bar) and Node buffers (a chart's
 * PNG), which plain JSON turns into null and into a list of bytes.
 */
export function toSharedJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // JSON.stringify has already called Buffer's toJSON by the time v arrives; the holder still has it.
    const raw = this[key];
    if (Buffer.isBuffer(raw)) return { $bytes: raw.toString('base64') };
    return typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v;
  });
}

export function fromSharedJson(text: string): unknown {
  return JSON.parse(text, (_, v: unknown) => {
    if (typeof v !== 'object' || v === null) return v;
    if ('$number' in v) return Number((v as { $number: string }).$number);
    if ('$bytes' in v) return Buffer.from((v as { $bytes: string }).$bytes, 'base64');
    return v;
  });
}
