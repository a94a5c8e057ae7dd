/**
 * `npm run loadtest`: the bot as a black box under bursts and faults. It starts `node src/bot/main.ts`
 * against a fake Discord on loopback (which, like Discord, refuses an acknowledgement later than 3 s),
 * with the real CSV data when ../shared/data is there and the demo market otherwise, and replays:
 *   burst    100 slash commands from 50 users within 1 s on a cold bot
 *   as-of    100 commands with 100 distinct as-of dates
 *   faults   40 commands while Discord resets uploads, fails edits with 500 and 429, expires interactions,
 *            sends malformed gateway payloads and drops the gateway (1006, 4000, 4009)
 * For each it reports deferral and answer percentiles (from dispatch), lost interactions (never
 * acknowledged in time, or never answered), whether the bot crashed, and its peak RSS.
 *   sustained  1,000 commands from 200 users over 3 minutes (only when asked for by name)
 * Usage: node bench/loadtest.ts [--scenario burst|as-of|faults|sustained|all] [--bot OTHER/src/bot/main.ts]
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { tradingDays } from '../src/market/calendar.ts';
import { FakeDiscord, type RecordedCall } from '../test/fakes/discord.ts';
import { startProcess } from '../test/helpers/process.ts';

const root = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'prices');
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    // Another checkout's entry point, to measure an older version the same way.
    bot: { type: 'string', default: path.join(root, 'src', 'bot', 'main.ts') },
  },
});

interface Sent {
  readonly token: string;
  readonly at: number;
  readonly expectAnswer: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function rssMb(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${String(child.pid)}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startBot(discord: FakeDiscord, home: string) {
  const csv = existsSync(path.join(shared, 'sp500')) && existsSync(path.join(shared, 'etf'));
  const bot = startProcess(process.execPath, [path.resolve(values.bot)], {
    cwd: home,
    env: {
      PATH: process.env.PATH ?? '',
      // glibc's allocator setting, passed through to measure its effect on a multi-threaded bot's RSS.
      ...(process.env.MALLOC_ARENA_MAX === undefined
        ? {}
        : { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX }),
      DISCORD_TOKEN: 'load-test-token',
      DISCORD_API_URL: discord.apiUrl,
      TAPEWATCH_HOME: home,
      BOT_COOLDOWN_SECONDS: '0',
      // Warnings and errors only, and the line that says the bot is up.
      LOG_LEVEL: 'info',
      ...(csv
        ? {
            MARKET_DATA_SOURCE: 'csv',
            MARKET_DATA_DIRS: [path.join(shared, 'sp500'), path.join(shared, 'etf')].join(','),
          }
        : { MARKET_DATA_SOURCE: 'demo' }),
    },
  });
  await bot.waitFor(/connected to Discord/);
  return {
    ...bot,
    source: csv ? 'csv (../shared/data)' : 'demo',
    asOfRange: csv ? (['2006-01-03', '2021-04-20'] as const) : (['2016-01-04', '2024-07-10'] as const),
  };
}

const isCallback = (token: string) => (c: RecordedCall) =>
  c.method === 'POST' && c.path.includes(`/${token}/callback`);
const isAnswer = (token: string) => (c: RecordedCall) =>
  c.method === 'PATCH' &&
  c.path.endsWith(`/${token}/messages/@original`) &&
  !JSON.stringify(c.body ?? {}).includes('Loading prices');

async function scenario(
  name: string,
  send: (discord: FakeDiscord, asOf: readonly string[]) => Promise<Sent[]>,
) {
  const discord = await FakeDiscord.start();
  discord.acknowledgeWithinMs = 3_000;
  const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-load-'));
  const bot = await startBot(discord, home);
  let peakRss = rssMb(bot.child);
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(bot.child))), 200);
  try {
    const sessions = tradingDays(bot.asOfRange[0], bot.asOfRange[1]);
    const sent = await send(discord, sessions);
    const deadline = Date.now() + 120_000;
    const settled = () =>
      sent.every(
        (s) =>
          discord.expiredTokens.has(s.token) ||
          !s.expectAnswer ||
          discord.calls.some(isAnswer(s.token)) ||
          (discord.calls.find(isCallback(s.token))?.body as { type?: number } | undefined)?.type === 4,
      );
    while (!settled() && Date.now() < deadline && bot.exited() === undefined) await sleep(100);
    await sleep(500);
    const deferrals: number[] = [];
    const answers: number[] = [];
    let lost = 0;
    let busy = 0;
    for (const s of sent) {
      const callback = discord.calls.find(isCallback(s.token));
      const answer = discord.calls.find(isAnswer(s.token));
      if (callback) deferrals.push(callback.at - s.at);
      // A direct reply (type 4) answers at once: a refusal, or "busy, ask again in N s".
      const direct = (callback?.body as { type?: number } | undefined)?.type === 4;
      if (direct && /busy/.test(JSON.stringify(callback?.body))) busy++;
      if (answer) answers.push(answer.at - s.at);
      if (!callback || discord.expiredTokens.has(s.token) || (s.expectAnswer && !answer && !direct)) lost++;
    }
    deferrals.sort((a, b) => a - b);
    answers.sort((a, b) => a - b);
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    console.log(
      `${name.padEnd(7)} ${String(sent.length).padStart(4)} commands (${bot.source}): deferral p50 ${ms(percentile(deferrals, 50))}, p99 ${ms(percentile(deferrals, 99))}, max ${ms(deferrals.at(-1) ?? Number.NaN)}; ` +
        `answer p50 ${ms(percentile(answers, 50))}, p99 ${ms(percentile(answers, 99))}; busy replies ${busy}; lost ${lost}; ` +
        `crashed ${bot.exited() === undefined ? 'no' : `yes (exit ${String(bot.exited())})`}; peak RSS ${peakRss.toFixed(0)} MB`,
    );
    if (bot.exited() !== undefined) console.log(bot.output().slice(-2000));
  } finally {
    clearInterval(sampler);
    await bot.stop();
    await discord.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const REPORTS = ['breadth', 'rotation', 'momentum', 'market'] as const;
const user = (i: number) => String(700000000000000000n + BigInt(i));

/** `count` commands spread evenly over `spreadMs`, from `users` users, options made per command. */
async function spread(
  discord: FakeDiscord,
  count: number,
  spreadMs: number,
  users: number,
  options: (i: number) => Record<string, unknown>[],
): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let i = 0; i < count; i++) {
    const report = REPORTS[i % REPORTS.length] ?? 'breadth';
    const token = discord.slashCommand(report, options(i), { userId: user(i % users) });
    sent.push({ token, at: discord.dispatchedAt.get(token) ?? Date.now(), expectAnswer: true });
    await sleep(spreadMs / count);
  }
  return sent;
}

const wanted = values.scenario;
if (wanted === 'all' || wanted === 'burst') {
  await scenario('burst', (discord) => spread(discord, 100, 1_000, 50, () => []));
}
if (wanted === 'all' || wanted === 'as-of') {
  await scenario('as-of', (discord, sessions) =>
    spread(discord, 100, 1_000, 50, (i) => [
      { name: 'as-of', type: 3, value: sessions[Math.floor((i * sessions.length) / 100)] ?? sessions[0] },
    ]),
  );
}
if (wanted === 'sustained') {
  // Not part of "all": it takes over three minutes.
  await scenario('sustained', (discord) => spread(discord, 1_000, 180_000, 200, () => []));
}
if (wanted === 'all' || wanted === 'faults') {
  await scenario('faults', async (discord) => {
    discord.resetUploads = 5;
    discord.failEdits = 5;
    discord.rateLimitEdits = 5;
    const sent = await spread(discord, 20, 1_000, 10, () => []);
    discord.sendRaw('not json at all');
    discord.sendRaw(JSON.stringify({ op: 0, t: 'INTERACTION_CREATE', s: 900, d: null }));
    discord.sendRaw(JSON.stringify({ op: 0, t: 'MESSAGE_CREATE', s: 901, d: { id: '2' } }));
    for (let i = 0; i < 5; i++) {
      const token = discord.slashCommand('rotation', [], { userId: user(100 + i) });
      discord.expiredTokens.add(token);
    }
    for (const code of [1006, 4000, 4009] as const) {
      discord.dropGateway(code);
      await discord.waitForGateway();
    }
    return [...sent, ...(await spread(discord, 20, 1_000, 10, () => []))];
  });
}
