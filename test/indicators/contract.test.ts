import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBreadth } from '../../src/indicators/breadth.ts';
import { returnZScores } from '../../src/indicators/momentum.ts';
import { dailyReturns } from '../../src/indicators/panel.ts';
import {
  change,
  cumulativeGrowth,
  cumulativeSum,
  drawdown,
  ema,
  rollingExtreme,
  rollingStd,
  sma,
} from '../../src/indicators/rolling.ts';
import {
  computeRotation,
  relativeReturns,
  RS_MOMENTUM_LAG,
  RS_RATIO_LENGTH,
} from '../../src/indicators/rotation.ts';

/**
 * The contract every series indicator keeps, in the style of trading-signals' shared indicator tests:
 * - warm-up: exactly the first `warmUp` values are n/a (NaN), never a made-up number;
 * - no look-ahead: the value for day t is the same whether or not later days exist;
 * - a missing input (NaN) never becomes a number: the day is n/a, or, for running levels that say so
 *   (a cumulative sum, growth of 1), the level is carried through the gap unchanged.
 */
interface Indicator {
  readonly name: string;
  /** Series in (prices, or returns where the indicator takes returns), series out. */
  readonly compute: (inputs: readonly Float64Array[]) => Float64Array;
  readonly inputs: 'prices' | 'returns';
  readonly width: number;
  readonly warmUp: number;
  readonly onGap: 'n/a' | 'carried';
}

const LENGTH = 400;
const first = (inputs: readonly Float64Array[]) => inputs[0] ?? new Float64Array(0);
const second = (inputs: readonly Float64Array[]) => inputs[1] ?? new Float64Array(0);

/** A deterministic random walk (a fixed LCG), so every run checks the same numbers. */
function walk(seed: number, kind: 'prices' | 'returns'): Float64Array {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const out = new Float64Array(LENGTH);
  let price = 100;
  for (let t = 0; t < LENGTH; t++) {
    const r = 0.02 * next();
    price *= 1 + r;
    out[t] = kind === 'prices' ? price : r;
  }
  return out;
}

/** Breadth over four members, one output at a time: its counts are indicators of the members' closes. */
const breadth =
  (pick: (b: ReturnType<typeof computeBreadth>) => Float64Array) => (inputs: readonly Float64Array[]) =>
    pick(computeBreadth(inputs.slice(1), inputs.slice(1), inputs[0] ?? null));

const INDICATORS: readonly Indicator[] = [
  { name: 'sma 10', compute: (x) => sma(first(x), 10), inputs: 'prices', width: 1, warmUp: 9, onGap: 'n/a' },
  { name: 'ema 10', compute: (x) => ema(first(x), 10), inputs: 'prices', width: 1, warmUp: 9, onGap: 'n/a' },
  {
    name: 'rolling std 10',
    compute: (x) => rollingStd(first(x), 10),
    inputs: 'returns',
    width: 1,
    warmUp: 9,
    onGap: 'n/a',
  },
  {
    name: 'rolling high 10',
    compute: (x) => rollingExtreme(first(x), 10, 'high'),
    inputs: 'prices',
    width: 1,
    warmUp: 9,
    onGap: 'n/a',
  },
  {
    name: 'rolling low 10',
    compute: (x) => rollingExtreme(first(x), 10, 'low'),
    inputs: 'prices',
    width: 1,
    warmUp: 9,
    onGap: 'n/a',
  },
  {
    name: 'change 5',
    compute: (x) => change(first(x), 5),
    inputs: 'prices',
    width: 1,
    warmUp: 5,
    onGap: 'n/a',
  },
  {
    name: 'daily returns',
    compute: (x) => dailyReturns(first(x)),
    inputs: 'prices',
    width: 1,
    warmUp: 1,
    onGap: 'n/a',
  },
  {
    name: 'drawdown',
    compute: (x) => drawdown(first(x)),
    inputs: 'prices',
    width: 1,
    warmUp: 0,
    onGap: 'n/a',
  },
  {
    name: 'cumulative growth',
    compute: (x) => cumulativeGrowth(first(x)),
    inputs: 'returns',
    width: 1,
    warmUp: 0,
    onGap: 'carried',
  },
  {
    name: 'cumulative sum',
    compute: (x) => cumulativeSum(first(x)),
    inputs: 'returns',
    width: 1,
    warmUp: 0,
    onGap: 'carried',
  },
  {
    name: 'return z-score 20',
    compute: (x) => returnZScores(first(x), 20),
    inputs: 'returns',
    width: 1,
    warmUp: 20,
    onGap: 'n/a',
  },
  {
    name: 'relative return 5',
    compute: (x) => relativeReturns(first(x), second(x), 5),
    inputs: 'prices',
    width: 2,
    warmUp: 5,
    onGap: 'n/a',
  },
  {
    name: 'RS-Ratio',
    compute: (x) => computeRotation(first(x), second(x)).rsRatio,
    inputs: 'prices',
    width: 2,
    warmUp: RS_RATIO_LENGTH - 1,
    onGap: 'n/a',
  },
  {
    name: 'RS-Momentum',
    compute: (x) => computeRotation(first(x), second(x)).rsMomentum,
    inputs: 'prices',
    width: 2,
    warmUp: RS_RATIO_LENGTH - 1 + RS_MOMENTUM_LAG,
    onGap: 'n/a',
  },
  {
    name: 'breadth: % above 20-day',
    compute: breadth((b) => b.pctAbove[20]),
    inputs: 'prices',
    width: 5,
    warmUp: 19,
    onGap: 'n/a',
  },
  {
    name: 'breadth: % beating the index over 21 sessions',
    compute: breadth((b) => b.pctOutperforming21d),
    inputs: 'prices',
    width: 5,
    warmUp: 21,
    onGap: 'n/a',
  },
];

function inputsFor(indicator: Indicator): Float64Array[] {
  return Array.from({ length: indicator.width }, (_, i) => walk(17 + 31 * i, indicator.inputs));
}

describe('indicator contract', () => {
  for (const indicator of INDICATORS) {
    describe(indicator.name, () => {
      const inputs = inputsFor(indicator);
      const full = indicator.compute(inputs);

      it(`is n/a for exactly the first ${indicator.warmUp} days`, () => {
        assert.equal(full.length, LENGTH);
        for (let t = 0; t < indicator.warmUp; t++) assert.ok(Number.isNaN(full[t]), `day ${t} is ${full[t]}`);
        for (let t = indicator.warmUp; t < LENGTH; t++)
          assert.ok(Number.isFinite(full[t]), `day ${t} is ${full[t]}`);
      });

      it('gives day t the same value whether or not later days exist', () => {
        for (const cut of [indicator.warmUp + 1, 150, 271, LENGTH - 1]) {
          const prefix = indicator.compute(inputs.map((series) => series.slice(0, cut)));
          for (let t = 0; t < cut; t++) {
            const a = prefix[t] ?? Number.NaN;
            const b = full[t] ?? Number.NaN;
            assert.ok(
              Object.is(a, b) || Math.abs(a - b) < 1e-12,
              `day ${t} of ${cut} days: ${a} against ${b}`,
            );
          }
        }
      });

      it(`turns a missing input into ${indicator.onGap === 'n/a' ? 'n/a' : 'an unchanged level'}, never a new number`, () => {
        const gap = 300;
        const holed = inputs.map((series) => {
          const copy = series.slice();
          copy[gap] = Number.NaN;
          return copy;
        });
        const out = indicator.compute(holed);
        if (indicator.onGap === 'n/a') assert.ok(Number.isNaN(out[gap]), `day ${gap} is ${out[gap]}`);
        else assert.equal(out[gap], out[gap - 1]);
        for (let t = 0; t < gap; t++)
          assert.ok(Object.is(out[t], full[t]), `day ${t} before the gap changed`);
      });
    });
  }
});
