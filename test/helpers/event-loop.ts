/**
 * The longest the event loop went without turning while `work` ran: what a bot's other users wait
 * before their interaction is even seen. A 1 ms interval records the gaps between its ticks.
 */
export async function longestStall<T>(
  work: () => Promise<T>,
): Promise<{ value: T; totalMs: number; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  try {
    const start = performance.now();
    const value = await work();
    const totalMs = performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { value, totalMs, stallMs: Math.max(stallMs, performance.now() - last) };
  } finally {
    clearInterval(ticker);
  }
}
