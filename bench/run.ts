/**
 * `npm run bench`: the speed figures the README quotes, measured on the real data in ../shared/data.
 * 0. Start-up: a trivial command (`universe list`) in a fresh process beside a bare `node -e 0`.
 * 1. `tapewatch series momentum.long_short` over all of prices/sp500 from CSV, as a user runs it (a fresh
 *    process: Node start, reading 504 files, alignment, the factor): once with an empty parsed-CSV cache,
 *    then the median of 3 with it.
 * 3. The scheduler's pass over 25,000 schedules: its time and the longest stall of the event loop.
 * 2. Each report on a dataset already in memory: "fresh" aligns and computes everything again (a new
 *    process's first report after loading), "warm" repeats it in a long-lived process (the bot), where
 *    the aligned panel and its indicator series are reused while the data is unchanged. Median of 10.
 */
import { chartSpec, renderChartPng, renderDashboardPng } from '../src/render/chart.ts';
import { REPORT_COMMANDS, type Report } from '../src/reports/types.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepare, REPORTS } from '../commands/index.ts';
import { botRequestPolicy } from '../src/bot/answer.ts';
import { ReportPool } from '../src/bot/report-pool.ts';
import type { RequestPolicy } from '../src/reports/module.ts';
import { CsvMarketData } from '../src/market/csv.ts';
import { DEFAULT_BAD_TICK_FACTOR } from '../src/market/quality.ts';
import { loadPanel, PanelCache, type ReportContext } from '../src/reports/context.ts';
import { resolveUniverse } from '../src/universes/index.ts';
import { longestStall } from '../test/helpers/event-loop.ts';
import { Scheduler } from '../src/bot/scheduler.ts';
import { createLogger } from '../src/log.ts';
import { ScheduleStore } from '../src/schedules.ts';
import { openUserDatabase } from '../src/store/user-database.ts';

const root = path.resolve(import.meta.dirname, '..');
const data = path.resolve(root, '..', 'shared', 'data');
const sp500 = path.join(data, 'prices', 'sp500');
const etf = path.join(data, 'prices', 'etf');
if (!existsSync(sp500) || !existsSync(etf)) {
  console.error(
    `bench: real data not found at ${data} (../shared/data beside the repository); nothing to measure.`,
  );
  process.exit(1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? Number.NaN;
}

/** Milliseconds of a fresh process, median of five (after one run that fills Node's compile cache). */
function processMs(args: readonly string[]): number {
  const runs: number[] = [];
  for (let run = 0; run < 6; run++) {
    const start = performance.now();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    if (run > 0) runs.push(performance.now() - start);
  }
  return median(runs);
}
const bareNode = processMs(['-e', '0']);
const trivial = processMs([path.join(root, 'bin', 'tapewatch.js'), 'universe', 'list']);
console.log(
  `start-up: tapewatch universe list ${trivial.toFixed(0)} ms, bare node -e 0 ${bareNode.toFixed(0)} ms ` +
    `(${(trivial / bareNode).toFixed(1)}×; goal 3×)`,
);

// A home of its own, so the first run meets an empty parsed-CSV cache and fills it.
const benchHome = mkdtempSync(path.join(tmpdir(), 'tapewatch-bench-'));
function exportSeries(): { ms: number; rows: number } {
  const start = performance.now();
  const out = execFileSync(
    process.execPath,
    [
      path.join(root, 'bin', 'tapewatch.js'),
      'series',
      'momentum.long_short',
      '--from',
      '2004-01-01',
      '--data-dir',
      sp500,
      '--universe',
      sp500,
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, TAPEWATCH_HOME: benchHome, CSV_CACHE_DIR: '' },
    },
  );
  return { ms: performance.now() - start, rows: out.trim().split('\n').length - 1 };
}
const firstRun = exportSeries();
const cachedRuns = [exportSeries(), exportSeries(), exportSeries()];
rmSync(benchHome, { recursive: true, force: true });
console.log(
  `series momentum.long_short, prices/sp500 from CSV, fresh process: ` +
    `${median(cachedRuns.map((run) => run.ms)).toFixed(0)} ms median with the parsed-CSV cache ` +
    `(runs ${cachedRuns.map((run) => run.ms.toFixed(0)).join(', ')} ms; budget 1000 ms); ` +
    `${firstRun.ms.toFixed(0)} ms the first time, parsing the files and filling the cache (budget 2500 ms); ` +
    `${firstRun.rows} daily values`,
);

const marketData = new CsvMarketData([sp500, etf]);
const endDate = '2021-04-21';
const policy: RequestPolicy = {
  today: endDate,
  universes: { homeDir: path.join(root, '.bench-home'), cwd: root },
  optionLabel: (name) => `--${name}`,
};
// Each timing covers the whole request path: options checked, universe resolved, report built.
const reports = Object.fromEntries(
  REPORT_COMMANDS.map((name) => [
    name,
    (c: ReportContext) =>
      // Reports with a universe read the S&P 500 folder; the others (rotation, chart) their defaults.
      REPORTS[name].prepare('universe' in REPORTS[name].options ? { universe: sp500 } : {}, policy).build(c),
  ]),
);
// Load every file once (the first momentum report reads all of prices/sp500 and the ETFs): the dataset
// is in memory from here on.
const coldLoad = await longestStall(() =>
  loadPanel({ marketData, endDate }, resolveUniverse(sp500, policy.universes).symbols),
);
console.log(
  `CSV load of prices/sp500, cold: ${coldLoad.totalMs.toFixed(0)} ms, longest event-loop stall ${coldLoad.stallMs.toFixed(0)} ms`,
);
for (const build of Object.values(reports)) await build({ marketData, endDate });
const freshBreadth = await longestStall(() =>
  REPORTS.breadth.prepare({ universe: sp500 }, policy).build({ marketData, endDate }),
);
// The bot computes in worker threads and only serves prices from its main thread: the stall its other
// users feel while a 500-member breadth report is aligned, computed and charted from scratch.
const pool = new ReportPool({
  threads: 2,
  homeDir: path.join(root, '.bench-home'),
  badTickFactor: DEFAULT_BAD_TICK_FACTOR,
  now: () => new Date(),
});
const poolRequest = (asOf: string) =>
  prepare('breadth', { universe: 'sp500' }, asOf, botRequestPolicy(endDate, path.join(root, '.bench-home')));
await pool.answer(poolRequest('2021-04-20'), marketData, () => undefined);
const pooledBreadth = await longestStall(() =>
  pool.answer(poolRequest(endDate), marketData, () => undefined),
);
await pool.close();
console.log(
  `breadth report with chart computed afresh: longest event-loop stall ${freshBreadth.stallMs.toFixed(0)} ms ` +
    `in this thread (the CLI); ${pooledBreadth.stallMs.toFixed(0)} ms through the bot's worker pool ` +
    `(answered in ${pooledBreadth.totalMs.toFixed(0)} ms)`,
);

for (const [name, build] of Object.entries(reports)) {
  const fresh: number[] = [];
  const warm: number[] = [];
  const panels = new PanelCache();
  await build({ marketData, endDate, panels });
  for (let run = 0; run < 10; run++) {
    let start = performance.now();
    await build({ marketData, endDate });
    fresh.push(performance.now() - start);
    start = performance.now();
    await build({ marketData, endDate, panels });
    warm.push(performance.now() - start);
  }
  console.log(
    `${name.padEnd(8)} report on in-memory data: fresh ${median(fresh).toFixed(1)} ms, warm ${median(warm).toFixed(1)} ms (median of 10; budget 50 ms)`,
  );
}

/** Median of 10 timed runs after one untimed warm-up. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  await work();
  const times: number[] = [];
  for (let run = 0; run < 10; run++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return median(times);
}

// Charts: drawing one report as a 1200×675 PNG, from the report object (budget 300 ms).
const built: Report[] = [];
for (const [name, build] of Object.entries(reports)) {
  const report = await build({ marketData, endDate });
  built.push(report);
  const spec = chartSpec(report);
  const ms = await timed(() => renderChartPng(spec));
  console.log(`${name.padEnd(8)} chart PNG: ${ms.toFixed(0)} ms (median of 10; budget 300 ms)`);
}
const dashboardMs = await timed(() => renderDashboardPng(built));
console.log(`market   dashboard PNG: ${dashboardMs.toFixed(0)} ms (median of 10; three panels)`);

// The scheduler's pass (every 30 s) with 1,000 servers of 25 schedules each, none due: what the poll
// loop over the user database costs the event loop at that scale.
{
  const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-bench-schedules-'));
  const file = path.join(dir, 'tapewatch.sqlite');
  const { db } = openUserDatabase(file, null);
  const store = new ScheduleStore(db, file);
  const created = new Date('2024-07-11T21:00:00Z');
  db.exec('BEGIN');
  for (let server = 0; server < 1000; server++) {
    for (let i = 0; i < 25; i++) {
      store.add(
        {
          guildId: `1${String(server).padStart(17, '0')}`,
          channelId: `2${String(server * 25 + i).padStart(17, '0')}`,
          report: 'market',
          time: `${String(9 + (i % 8)).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}`,
          days: 'weekdays',
          timeZone: ['America/New_York', 'Europe/London', 'Asia/Tokyo'][server % 3] ?? 'UTC',
          createdBy: 'bench',
        },
        created,
      );
    }
  }
  db.exec('COMMIT');
  const scheduler = new Scheduler({
    store,
    runner: { prepare: () => null as never, run: () => Promise.reject(new Error('nothing is due')) },
    post: () => Promise.resolve(),
    now: () => new Date('2024-07-11T21:30:00Z'),
    logger: createLogger('silent'),
  });
  const passes: { totalMs: number; stallMs: number }[] = [];
  for (let run = 0; run < 5; run++) passes.push(await longestStall(() => scheduler.tick()));
  console.log(
    `scheduler pass over 25,000 schedules (none due): ${median(passes.map((p) => p.totalMs)).toFixed(0)} ms, ` +
      `longest event-loop stall ${median(passes.map((p) => p.stallMs)).toFixed(0)} ms (median of 5; every 30 s)`,
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
