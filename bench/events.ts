/**
 * `npm run bench:events`: every event kind over the whole of the real S&P 500 files (2004-2021) and the
 * ETF files to the same day: how many episodes each had from 2005 on, and what the index (for momentum
 * also the factor) did over 21 sessions after them against any day. The figures the README and the
 * event texts stand on.
 */
import { analyzeBreadth, breadthConditions, breadthOptionsSchema } from '../commands/breadth.ts';
import { analyzeMomentum, MOMENTUM_EPISODE_GAP, momentumOptionsSchema } from '../commands/momentum.ts';
import { analyzeRotation, PAIRS, rotationOptionsSchema, SPLIT_EPISODE_GAP } from '../commands/rotation.ts';
import { dailyReturns } from '../src/indicators/panel.ts';
import { cumulativeGrowth } from '../src/indicators/rolling.ts';
import { splitSessions } from '../src/indicators/rotation.ts';
import { CsvMarketData } from '../src/market/csv.ts';
import { findEpisodes, forwardStudy, verdictOf, type ForwardStudy } from '../src/reports/events.ts';
import { formatPercent } from '../src/reports/format.ts';
import { resolveUniverse } from '../src/universes/index.ts';
import { testPolicy } from '../test/helpers/reports.ts';
import { HAVE_SHARED_DATA, sharedPath } from '../test/helpers/shared-data.ts';

if (!HAVE_SHARED_DATA) {
  console.error('bench:events: real data not found at ../shared/data beside the repository.');
  process.exit(1);
}

const END = '2021-04-21';
const FROM = '2005-01-01';
const folder = sharedPath('prices', 'sp500');
const source = new CsvMarketData([folder, sharedPath('prices', 'etf')]);
const context = { marketData: source, endDate: END };
const universe = resolveUniverse(folder, testPolicy(END).universes);

interface Row {
  readonly kind: string;
  readonly episodes: number;
  readonly days: number;
  readonly judged: number;
  readonly study: ForwardStudy;
  readonly series: string;
}
const rows: Row[] = [];

function measure(
  kind: string,
  dates: readonly string[],
  flags: Uint8Array,
  judged: (t: number) => boolean,
  gap: number,
  last: number,
  forward: { name: string; prices: ArrayLike<number> }[],
): void {
  const episodes = findEpisodes(flags, judged, gap, last);
  const starts = [...episodes.earlier, ...(episodes.current === null ? [] : [episodes.current])];
  const counted = starts.filter((t) => (dates[t] ?? '') >= FROM);
  for (const { name, prices } of forward) {
    rows.push({
      kind,
      episodes: counted.length,
      days: episodes.flaggedDays,
      judged: episodes.judgedDays,
      study: forwardStudy(prices, counted, episodes.firstJudged, last),
      series: name,
    });
  }
}

const breadth = await analyzeBreadth(context, breadthOptionsSchema.parse({ universe: folder }), universe);
const spy = breadth.panel.adjClose[breadth.indexAt] ?? new Float64Array(0);
for (const condition of breadthConditions(breadth)) {
  measure(condition.id, breadth.panel.dates, condition.flags, condition.judged, condition.gap, breadth.last, [
    { name: 'SPY', prices: spy },
  ]);
}

const momentumOptions = momentumOptionsSchema.parse({ universe: folder });
const momentum = await analyzeMomentum(context, momentumOptions, universe);
const momentumLast = momentum.panel.dates.lastIndexOf(END);
const spyOnMomentum = Float64Array.from(momentum.panel.dates, (date) => {
  const t = breadth.panel.dates.indexOf(date);
  return t < 0 ? Number.NaN : (spy[t] ?? Number.NaN);
});
for (const [kind, sign] of [
  ['momentum_crash', -1],
  ['momentum_spike', 1],
] as const) {
  const flags = Uint8Array.from(momentum.zScores, (z) => +(sign * z >= momentumOptions.eventSigma));
  measure(
    kind,
    momentum.panel.dates,
    flags,
    (t) => !Number.isNaN(momentum.zScores[t] ?? Number.NaN),
    MOMENTUM_EPISODE_GAP,
    momentumLast,
    [
      { name: 'factor', prices: cumulativeGrowth(momentum.factor.longShort) },
      { name: 'SPY', prices: spyOnMomentum },
    ],
  );
}

const rotationOptions = rotationOptionsSchema.parse({});
const rotation = await analyzeRotation(context, rotationOptions);
const benchmark = rotation.panel.adjClose[rotation.panel.symbols.indexOf('SPY')] ?? new Float64Array(0);
for (const pair of PAIRS) {
  const first = rotation.legs.get(pair.first);
  const second = rotation.legs.get(pair.second);
  if (!first || !second) continue;
  const a = dailyReturns(first.subarray(0, rotation.last + 1));
  const b = dailyReturns(second.subarray(0, rotation.last + 1));
  for (const direction of ['up', 'down'] as const) {
    const flags = new Uint8Array(rotation.last + 1);
    for (const t of splitSessions(a, b, rotationOptions.splitThreshold, direction)) flags[t] = 1;
    measure(
      `split_${pair.id}_${direction}`,
      rotation.panel.dates,
      flags,
      (t) => !Number.isNaN(a[t] ?? Number.NaN) && !Number.isNaN(b[t] ?? Number.NaN),
      SPLIT_EPISODE_GAP,
      rotation.last,
      [{ name: 'SPY', prices: benchmark }],
    );
  }
}

const share = (value: number) => (Number.isNaN(value) ? 'n/a' : `${Math.round(value * 100)}%`);
console.log(`Events ${FROM} to ${END} (S&P 500 and ETF files); forward returns over 21 sessions.`);
console.log('| event | episodes | days met (of judged) | after | median (up) | any day (up) | verdict |');
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) {
  const episode = row.study.episodes[21];
  const base = row.study.baseline[21];
  console.log(
    `| ${row.kind} | ${row.episodes} | ${row.days} (of ${row.judged}) | ${row.series} | ` +
      `${formatPercent(episode.median)} (${share(episode.positive)}) | ${formatPercent(base.median)} (${share(base.positive)}) | ` +
      `${verdictOf(row.study)} |`,
  );
}
