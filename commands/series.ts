import { TapewatchError } from '../src/errors.ts';
import { cumulativeGrowth, drawdown } from '../src/indicators/rolling.ts';
import type { IsoDate } from '../src/market/types.ts';
import type { ReportContext } from '../src/reports/context.ts';
import type { Unit } from '../src/reports/types.ts';
import type { Universe } from '../src/universes/index.ts';
import { SECTOR_ETFS } from '../src/universes/sectors.ts';
import { analyzeBreadth, breadthOptionsSchema } from './breadth.ts';
import { analyzeMomentum, momentumOptionsSchema } from './momentum.ts';
import { relativeReturns } from '../src/indicators/rotation.ts';
import {
  analyzeRotation,
  PAIRS,
  ROTATION_HORIZONS,
  rotationOptionsSchema,
  type PairDefinition,
} from './rotation.ts';

/** A whole indicator series, for users to chart in their own tools and for us to check against references. */
export interface IndicatorSeries {
  readonly name: string;
  readonly unit: Unit;
  readonly dates: readonly IsoDate[];
  readonly values: ArrayLike<number>;
}

type Producer = (
  context: ReportContext,
  universe: Universe,
  symbol: string | null,
) => Promise<IndicatorSeries>;

const momentumSeries =
  (
    name: string,
    unit: Unit,
    pick: (a: Awaited<ReturnType<typeof analyzeMomentum>>) => ArrayLike<number>,
  ): Producer =>
  async (context, universe) => {
    const options = momentumOptionsSchema.parse({ universe: universe.name });
    const analysis = await analyzeMomentum(context, options, universe);
    return { name, unit, dates: analysis.panel.dates, values: pick(analysis) };
  };

const breadthSeries =
  (
    name: string,
    unit: Unit,
    pick: (a: Awaited<ReturnType<typeof analyzeBreadth>>) => ArrayLike<number>,
  ): Producer =>
  async (context, universe) => {
    const options = breadthOptionsSchema.parse({ universe: universe.name });
    const analysis = await analyzeBreadth(context, options, universe);
    return { name, unit, dates: analysis.panel.dates.slice(0, analysis.last + 1), values: pick(analysis) };
  };

const rotationSeries =
  (name: string, pick: 'rsRatio' | 'rsMomentum'): Producer =>
  async (context, _universe, symbol) => {
    const analysis = await analyzeRotation(context, rotationOptionsSchema.parse({}));
    const series = symbol === null ? undefined : analysis.rotation.get(symbol);
    if (series === undefined) {
      throw new TapewatchError(
        'bad_input',
        `"${name}" needs a sector ETF with data after the colon, e.g. ${name}:XLK (one of ${Object.values(SECTOR_ETFS).join(', ')}).`,
      );
    }
    return {
      name: `${name}:${symbol ?? ''}`,
      unit: 'index',
      dates: analysis.panel.dates.slice(0, analysis.last + 1),
      values: series[pick],
    };
  };

/** A pair's relative return over `sessions` on every day: the report's metric (iwm_spy_1d …) as a series. */
const pairSeries =
  (name: string, pair: PairDefinition, sessions: number): Producer =>
  async (context) => {
    const analysis = await analyzeRotation(context, rotationOptionsSchema.parse({}));
    const first = analysis.legs.get(pair.first);
    const second = analysis.legs.get(pair.second);
    if (first === undefined || second === undefined) {
      const absent = [first ? null : pair.first, second ? null : pair.second].filter(Boolean).join(' and ');
      throw new TapewatchError('no_data', `"${name}" needs ${absent}, which the data source does not have.`);
    }
    const last = analysis.last;
    return {
      name,
      unit: 'fraction',
      dates: analysis.panel.dates.slice(0, last + 1),
      values: relativeReturns(first.subarray(0, last + 1), second.subarray(0, last + 1), sessions),
    };
  };

/** Every exportable series by name; rotation's rs_ratio and rs_momentum take a sector ETF after a colon. */
export const SERIES: Readonly<Record<string, Producer>> = {
  'momentum.long_short': momentumSeries('momentum.long_short', 'fraction', (a) => a.factor.longShort),
  'momentum.long_leg': momentumSeries('momentum.long_leg', 'fraction', (a) => a.factor.long),
  'momentum.short_leg': momentumSeries('momentum.short_leg', 'fraction', (a) => a.factor.short),
  'momentum.cumulative': momentumSeries('momentum.cumulative', 'number', (a) =>
    cumulativeGrowth(a.factor.longShort),
  ),
  'momentum.drawdown': momentumSeries('momentum.drawdown', 'fraction', (a) =>
    drawdown(cumulativeGrowth(a.factor.longShort)),
  ),
  'momentum.z': momentumSeries('momentum.z', 'sigma', (a) => a.zScores),
  'breadth.pct_above_20d': breadthSeries('breadth.pct_above_20d', 'percent', (a) => a.breadth.pctAbove[20]),
  'breadth.pct_above_50d': breadthSeries('breadth.pct_above_50d', 'percent', (a) => a.breadth.pctAbove[50]),
  'breadth.pct_above_200d': breadthSeries(
    'breadth.pct_above_200d',
    'percent',
    (a) => a.breadth.pctAbove[200],
  ),
  'breadth.advancers': breadthSeries('breadth.advancers', 'count', (a) => a.breadth.advancers),
  'breadth.decliners': breadthSeries('breadth.decliners', 'count', (a) => a.breadth.decliners),
  'breadth.net_advances': breadthSeries('breadth.net_advances', 'count', (a) => a.breadth.netAdvances),
  'breadth.ad_line': breadthSeries('breadth.ad_line', 'count', (a) => a.breadth.adLine),
  'breadth.mcclellan': breadthSeries('breadth.mcclellan', 'number', (a) => a.breadth.mcclellan),
  'breadth.mcclellan_summation': breadthSeries(
    'breadth.mcclellan_summation',
    'number',
    (a) => a.breadth.summation,
  ),
  'breadth.new_highs': breadthSeries('breadth.new_highs', 'count', (a) => a.breadth.newHighs),
  'breadth.new_lows': breadthSeries('breadth.new_lows', 'count', (a) => a.breadth.newLows),
  'breadth.zweig_ema': breadthSeries('breadth.zweig_ema', 'number', (a) => a.breadth.zweigEma),
  'breadth.pct_outperforming_index_1d': breadthSeries(
    'breadth.pct_outperforming_index_1d',
    'percent',
    (a) => a.breadth.pctOutperforming1d,
  ),
  'breadth.pct_outperforming_index_21d': breadthSeries(
    'breadth.pct_outperforming_index_21d',
    'percent',
    (a) => a.breadth.pctOutperforming21d,
  ),
  'rotation.rs_ratio': rotationSeries('rotation.rs_ratio', 'rsRatio'),
  'rotation.rs_momentum': rotationSeries('rotation.rs_momentum', 'rsMomentum'),
  ...Object.fromEntries(
    PAIRS.flatMap((pair) =>
      ROTATION_HORIZONS.map((h) => {
        const name = `rotation.${pair.id}_${h.suffix}`;
        return [name, pairSeries(name, pair, h.sessions)];
      }),
    ),
  ),
};

export async function computeSeries(
  context: ReportContext,
  rawName: string,
  universe: Universe,
): Promise<IndicatorSeries> {
  const [base = '', symbol] = rawName.trim().split(':', 2);
  const producer = SERIES[base];
  if (producer === undefined) {
    throw new TapewatchError(
      'bad_input',
      `Unknown series "${rawName.slice(0, 60)}". Series: ${Object.keys(SERIES)
        .map((n) => (n.startsWith('rotation.rs_') ? `${n}:SYMBOL` : n))
        .join(', ')}.`,
    );
  }
  return producer(context, universe, symbol === undefined ? null : symbol.toUpperCase());
}

/**
 * `date,value` lines for the dates in range: the warm-up before the first value is left out, and a later
 * gap is an empty value, so a chart shows the gap instead of a made-up number.
 */
export function seriesCsv(series: IndicatorSeries, from: IsoDate | null, to: IsoDate | null): string {
  const lines = ['date,value'];
  let started = false;
  series.dates.forEach((date, t) => {
    if ((from !== null && date < from) || (to !== null && date > to)) return;
    const value = series.values[t] ?? Number.NaN;
    if (Number.isNaN(value) && !started) return;
    started = true;
    lines.push(`${date},${Number.isNaN(value) ? '' : String(value)}`);
  });
  return `${lines.join('\n')}\n`;
}
