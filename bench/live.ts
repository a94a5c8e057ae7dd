/**
 * `npm run bench:live`: the live path at S&P 500 scale. A fake Yahoo in a process of its own
 * (test/fakes/yahoo-process.ts) serves the real price files of ../shared/data in Yahoo's wire formats
 * (cookie, crumb, chart, quote batches) on a clock the bench sets; the real client, store and cache run
 * here unchanged, so the CPU figures are the client's alone. Each row is one `/breadth universe:sp500`
 * with the requests it made by kind. The S&P 500 files end on 2021-04-21, which plays "today".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildReports, prepare } from '../commands/index.ts';
import { silentLogger } from '../src/log.ts';
import { CachedMarketData } from '../src/market/cache.ts';
import { liveSession } from '../src/market/session.ts';
import { BarStore, StoredMarketData } from '../src/market/store.ts';
import { YahooMarketData } from '../src/market/yahoo.ts';
import type { Report } from '../src/reports/types.ts';
import { openDatabase } from '../src/store/database.ts';
import { loopbackFetch } from '../test/fakes/yahoo-server.ts';
import { FakeClock } from '../test/helpers/clock.ts';
import { testPolicy } from '../test/helpers/reports.ts';
import { HAVE_SHARED_DATA } from '../test/helpers/shared-data.ts';

if (!HAVE_SHARED_DATA) {
  console.error(
    'bench:live: real data not found at ../shared/data beside the repository; nothing to measure.',
  );
  process.exit(1);
}

const root = path.resolve(import.meta.dirname, '..');
const child = spawn(process.execPath, [path.join(root, 'test', 'fakes', 'yahoo-process.ts')], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function readLine(): Promise<Record<string, unknown>> {
  const { value } = await lines.next();
  return JSON.parse(String(value)) as Record<string, unknown>;
}
async function command(body: Record<string, unknown>): Promise<Record<string, number>> {
  child.stdin.write(`${JSON.stringify(body)}\n`);
  return ((await readLine()).counts ?? {}) as Record<string, number>;
}
const { port } = (await readLine()) as { port: number };

const clock = new FakeClock('2021-04-20T21:00:00Z');
const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-live-'));

/** A bot's source as the composition root builds it, on its own store file. */
function openSource(name: string) {
  const db = openDatabase(path.join(dir, `${name}.db`));
  const yahoo = new YahooMarketData(
    {
      timeoutMs: 10_000,
      retries: 2,
      concurrency: 4,
      maxRetryAfterSeconds: 60,
      // The budget is measured on its own below; here it must not hide the client's own costs.
      requestsPerMinute: 6_000,
      maxRateLimitWaitSeconds: 300,
    },
    { fetch: loopbackFetch(port), logger: silentLogger },
  );
  const source = new CachedMarketData(
    new StoredMarketData(yahoo, new BarStore(db, name), clock.now),
    clock.now,
  );
  return {
    source,
    close: () => {
      source.close();
      db.close();
    },
  };
}

interface Row {
  readonly what: string;
  readonly requests: Record<string, number>;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly report: Report | null;
  readonly error: string | null;
}

async function breadth(what: string, source: CachedMarketData, at: string): Promise<Row> {
  clock.set(at);
  await command({ clock: at, requests: true });
  const cpu = process.cpuUsage();
  const start = performance.now();
  let report: Report | null = null;
  let error: string | null = null;
  try {
    const today = at.slice(0, 10);
    const request = prepare('breadth', { universe: 'sp500' }, null, testPolicy(today));
    [report = null] = (
      await buildReports(request, { marketData: source, session: liveSession(source.source, clock.now()) })
    ).reports;
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  const used = process.cpuUsage(cpu);
  return {
    what,
    requests: await command({ requests: true }),
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    report,
    error,
  };
}

const rows: Row[] = [];
const AFTER_CLOSE = '2021-04-20T21:00:00Z';
const NOON = '2021-04-21T16:00:00Z';
const REFRESH = '2021-04-21T20:30:00Z';
try {
  const bot = openSource('bot');
  rows.push(await breadth('cold load (empty store, after the close)', bot.source, AFTER_CLOSE));
  rows.push(await breadth('warm report during the session', bot.source, NOON));
  await command({ expireCrumb: true });
  rows.push(await breadth('crumb expired, 10 min later', bot.source, '2021-04-21T16:10:00Z'));
  await command({ inject: '/v8/finance/chart/AAPL', fault: { json: { chart: { result: [] } } } });
  rows.push(await breadth('after-close refresh, AAPL payload drifted', bot.source, REFRESH));
  bot.close();

  const stormy = openSource('storm');
  await command({ inject: '/v8/finance/chart', fault: { status: 429, retryAfter: '2' }, times: 60 });
  rows.push(await breadth('cold load in a 429 storm (60 × Retry-After 2 s)', stormy.source, AFTER_CLOSE));
  stormy.close();
} finally {
  child.stdin.end();
  rmSync(dir, { recursive: true, force: true });
}

console.log('| run | requests | seconds | CPU s | report |');
console.log('|---|---|---|---|---|');
for (const row of rows) {
  const requests = Object.entries(row.requests)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  const missing = row.report?.universe.missing ?? [];
  const aapl = missing.find((m) => m.symbol === 'AAPL');
  const above = row.report?.metrics.pct_above_200d;
  const outcome =
    row.error ??
    `as of ${row.report?.asOf}, ${missing.length} missing${aapl ? ` (AAPL: ${aapl.reason})` : ''}, % above 200d ${above?.toFixed(4)}`;
  console.log(
    `| ${row.what} | ${requests || 'none'} | ${row.seconds.toFixed(1)} | ${row.cpuSeconds.toFixed(1)} | ${outcome} |`,
  );
}
