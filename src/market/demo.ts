import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UnknownSymbolError } from '../errors.ts';
import { GICS_SECTORS, SECTOR_ETFS, type GicsSector } from '../universes/sectors.ts';
import { SP500_MEMBERS } from '../universes/sp500.ts';
import { marketStatus, tradingDays } from './calendar.ts';
import { quoteFromBars } from './quotes.ts';
import {
  allocateBars,
  sharedColumn,
  sharedColumns,
  sliceBars,
  type DailyBars,
  type DateRange,
  type IsoDate,
  type MarketData,
  type MissingSymbol,
  type Quote,
  type QuoteBatch,
} from './types.ts';

/**
 * A synthetic market for running the whole product offline. It is deterministic: the same seed gives
 * the same prices, and a later end date only appends days, because the generator walks forward one
 * session at a time from DEMO_START with a single seeded random stream.
 *
 * The model, per member stock and session: return = beta × market + sector factor + size loading ×
 * small-cap factor + momentum drift + idiosyncratic noise. The momentum drift is proportional to the
 * stock's own 12-1 month return rank, so a long-short momentum portfolio earns a premium that can
 * reverse violently (the scripted crash days below). ETFs are built from the members' returns.
 * Prices carry no dividends, so the adjusted close equals the close.
 */
export const DEMO_START: IsoDate = '2016-01-04';
export const DEMO_LABEL = 'DEMO DATA (synthetic market)';

interface Regime {
  readonly from: IsoDate;
  readonly to: IsoDate;
  readonly marketMu?: number;
  readonly marketSigma?: number;
  readonly sectorSigma?: number;
  readonly momentum?: number;
  readonly smallCapMu?: number;
  readonly sectorMu?: Partial<Record<GicsSector, number>>;
}

const TECH_LEAD: Partial<Record<GicsSector, number>> = {
  'Information Technology': 0.0006,
  'Communication Services': 0.0004,
  Energy: -0.0003,
};
/** Scripted episodes that give every report something to find. */
const REGIMES: readonly Regime[] = [
  { from: '2016-01-04', to: '2017-12-29', sectorMu: TECH_LEAD },
  { from: '2018-10-01', to: '2018-12-24', marketMu: -0.0025, marketSigma: 0.014 },
  { from: '2020-02-20', to: '2020-03-23', marketMu: -0.011, marketSigma: 0.032, momentum: 1.5 },
  { from: '2020-03-24', to: '2020-06-08', marketMu: 0.004, marketSigma: 0.02, momentum: -1.5 },
  // A one-day momentum crash: last year's losers jump, winners slump (cf. 2020-11-09).
  { from: '2020-11-09', to: '2020-11-09', marketMu: 0.012, momentum: -60, smallCapMu: 0.02 },
  {
    from: '2022-01-03',
    to: '2022-10-12',
    marketMu: -0.001,
    marketSigma: 0.014,
    sectorMu: { Energy: 0.0022, 'Information Technology': -0.0007, Utilities: 0.0003 },
  },
  { from: '2023-01-03', to: '2025-12-31', sectorMu: { ...TECH_LEAD, 'Information Technology': 0.0009 } },
  // A rare split: small caps surge while the large-cap index falls (cf. 2024-07-11).
  {
    from: '2024-07-11',
    to: '2024-07-11',
    marketMu: -0.02,
    marketSigma: 0.001,
    sectorSigma: 0.001,
    smallCapMu: 0.075,
    momentum: -4,
    sectorMu: { 'Information Technology': -0.008 },
  },
  {
    from: '2026-01-02',
    to: '2099-12-31',
    momentum: 0.6,
    smallCapMu: 0.0004,
    sectorMu: {
      Financials: 0.0006,
      Industrials: 0.0005,
      Materials: 0.0005,
      Energy: 0.0004,
      'Information Technology': -0.0006,
      'Communication Services': -0.0003,
    },
  },
];

const BASE = { marketMu: 0.00022, marketSigma: 0.0085, sectorSigma: 0.005, momentum: 1, smallCapMu: 0 };
const MOMENTUM_DRIFT_PER_Z = 0.00025;
const MOMENTUM_LOOKBACK = 252;
const MOMENTUM_SKIP = 21;
/** The giants' caps at the last close: their size class today (2024-2026 orders of magnitude). */
const MAG7_TODAY: Readonly<Record<string, number>> = {
  AAPL: 3.4e12,
  MSFT: 3.2e12,
  NVDA: 3.3e12,
  GOOGL: 2.1e12,
  AMZN: 2.0e12,
  META: 1.5e12,
  TSLA: 1.0e12,
};

const MAG7: Readonly<Record<string, number>> = {
  AAPL: 600e9,
  MSFT: 450e9,
  GOOGL: 500e9,
  AMZN: 350e9,
  META: 300e9,
  NVDA: 60e9,
  TSLA: 40e9,
};

/** sfc32, seeded through splitmix32: small, fast, and identical on every platform. */
function createRandom(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const uniform = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return (t >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

function hashSymbol(symbol: string, seed: number): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < symbol.length; i++) h = Math.imul(h ^ symbol.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface Member {
  readonly symbol: string;
  readonly sector: GicsSector;
  readonly beta: number;
  readonly idioSigma: number;
  readonly sizeLoading: number;
  readonly shares: number;
  readonly startPrice: number;
}

interface DemoFund {
  readonly symbol: string;
  readonly name: string;
  readonly startPrice: number;
  readonly weighting: 'cap' | 'equal';
  /** Members held on a session; momentum funds re-select monthly, the others hold a fixed set. */
  readonly select: (members: readonly Member[]) => readonly number[];
  readonly momentumSelected?: boolean;
}

export interface DemoMarket {
  readonly dates: readonly IsoDate[];
  readonly closes: ReadonlyMap<string, Float64Array>;
  /** Shares outstanding, fixed at the start: the cap-weighted funds' weights. */
  readonly shares: ReadonlyMap<string, number>;
  /**
   * Market caps at the last close, by size class, for quotes. A made-up price path over ten years takes
   * shares × price anywhere (a small company at $1.5 trillion, NVIDIA at $63 billion), so quotes give
   * each company a cap of its class instead: today's order of magnitude for the seven giants, the same
   * log-normal draw around $25 billion as at the start for the rest.
   */
  readonly caps: ReadonlyMap<string, number>;
  readonly names: ReadonlyMap<string, string>;
}

function regimeOn(
  date: IsoDate,
): Required<Omit<Regime, 'from' | 'to' | 'sectorMu'>> & { sectorMu: Partial<Record<GicsSector, number>> } {
  const merged = { ...BASE, sectorMu: {} as Partial<Record<GicsSector, number>> };
  for (const regime of REGIMES) {
    if (date < regime.from || date > regime.to) continue;
    if (regime.marketMu !== undefined) merged.marketMu = regime.marketMu;
    if (regime.marketSigma !== undefined) merged.marketSigma = regime.marketSigma;
    if (regime.sectorSigma !== undefined) merged.sectorSigma = regime.sectorSigma;
    if (regime.momentum !== undefined) merged.momentum = regime.momentum;
    if (regime.smallCapMu !== undefined) merged.smallCapMu = regime.smallCapMu;
    if (regime.sectorMu) merged.sectorMu = { ...merged.sectorMu, ...regime.sectorMu };
  }
  return merged;
}

function sizeRankOrder(members: readonly Member[]): number[] {
  return members
    .map((_, i) => i)
    .sort((x, y) => (members[y]?.sizeLoading ?? 0) - (members[x]?.sizeLoading ?? 0));
}

function fundDefinitions(): DemoFund[] {
  const all = (members: readonly Member[]) => members.map((_, i) => i);
  const inSectors = (sectors: readonly GicsSector[]) => (members: readonly Member[]) =>
    members.flatMap((m, i) => (sectors.includes(m.sector) ? [i] : []));
  // sizeLoading is highest for the smallest companies.
  const smallest = (fraction: number) => (members: readonly Member[]) =>
    sizeRankOrder(members).slice(0, Math.round(members.length * fraction));
  const middle = (members: readonly Member[]) =>
    sizeRankOrder(members).slice(Math.round(members.length * 0.4), Math.round(members.length * 0.7));
  const growth: GicsSector[] = ['Information Technology', 'Communication Services', 'Consumer Discretionary'];
  const value = GICS_SECTORS.filter((s) => !growth.includes(s));
  const funds: DemoFund[] = [
    { symbol: 'SPY', name: 'Demo S&P 500 (cap-weighted)', startPrice: 200, weighting: 'cap', select: all },
    { symbol: 'IVV', name: 'Demo S&P 500 (cap-weighted)', startPrice: 202, weighting: 'cap', select: all },
    { symbol: 'VOO', name: 'Demo S&P 500 (cap-weighted)', startPrice: 184, weighting: 'cap', select: all },
    { symbol: 'RSP', name: 'Demo S&P 500 equal weight', startPrice: 75, weighting: 'equal', select: all },
    {
      symbol: 'QQQ',
      name: 'Demo Nasdaq-100 style growth',
      startPrice: 110,
      weighting: 'cap',
      select: inSectors(growth),
    },
    { symbol: 'IWM', name: 'Demo small caps', startPrice: 110, weighting: 'equal', select: smallest(0.4) },
    { symbol: 'IJR', name: 'Demo small caps', startPrice: 55, weighting: 'equal', select: smallest(0.3) },
    { symbol: 'IJH', name: 'Demo mid caps', startPrice: 140, weighting: 'equal', select: middle },
    { symbol: 'IWD', name: 'Demo value', startPrice: 95, weighting: 'cap', select: inSectors(value) },
    { symbol: 'VLUE', name: 'Demo value', startPrice: 60, weighting: 'cap', select: inSectors(value) },
    { symbol: 'IWF', name: 'Demo growth', startPrice: 95, weighting: 'cap', select: inSectors(growth) },
    {
      symbol: 'QUAL',
      name: 'Demo quality',
      startPrice: 60,
      weighting: 'cap',
      select: inSectors(['Health Care', 'Information Technology', 'Consumer Staples']),
    },
    {
      symbol: 'USMV',
      name: 'Demo minimum volatility',
      startPrice: 40,
      weighting: 'equal',
      select: inSectors(['Utilities', 'Consumer Staples', 'Health Care', 'Real Estate']),
    },
    {
      symbol: 'MTUM',
      name: 'Demo momentum',
      startPrice: 70,
      weighting: 'cap',
      select: all,
      momentumSelected: true,
    },
    {
      symbol: 'SPMO',
      name: 'Demo momentum',
      startPrice: 25,
      weighting: 'cap',
      select: all,
      momentumSelected: true,
    },
  ];
  for (const sector of GICS_SECTORS) {
    funds.push({
      symbol: SECTOR_ETFS[sector],
      name: `Demo ${sector} sector`,
      startPrice: 50,
      weighting: 'cap',
      select: inSectors([sector]),
    });
  }
  return funds;
}

export function generateDemoMarket(seed: number, end: IsoDate): DemoMarket {
  const random = createRandom(seed);
  const dates = tradingDays(DEMO_START, end);
  const days = dates.length;
  const drafts = SP500_MEMBERS.map(([symbol, sector]) => {
    const cap = MAG7[symbol] ?? Math.exp(Math.log(25e9) + 0.9 * random.normal());
    const startPrice = 20 + 280 * random.uniform();
    return {
      symbol,
      sector,
      cap,
      startPrice,
      beta: 0.7 + 0.7 * random.uniform(),
      idioSigma: 0.009 + 0.012 * random.uniform(),
    };
  });
  // Size loading: 1 for the smallest company, 0 for the largest.
  const capRank = new Map(
    drafts
      .map((draft, i) => ({ i, cap: draft.cap }))
      .sort((x, y) => x.cap - y.cap)
      .map(({ i }, rank) => [i, rank]),
  );
  const members: Member[] = drafts.map((draft, i) => ({
    symbol: draft.symbol,
    sector: draft.sector,
    beta: draft.beta,
    idioSigma: draft.idioSigma,
    sizeLoading: 1 - (capRank.get(i) ?? 0) / Math.max(1, drafts.length - 1),
    shares: draft.cap / draft.startPrice,
    startPrice: draft.startPrice,
  }));

  const n = members.length;
  // Shared memory, so a market generated in a worker thread reaches the main thread without a copy.
  const closes = sharedColumns(members.length, days);
  const logPrices = members.map(() => new Float64Array(days));
  const returns = members.map(() => new Float64Array(days));
  members.forEach((m, i) => {
    (closes[i] as Float64Array)[0] = m.startPrice;
    (logPrices[i] as Float64Array)[0] = Math.log(m.startPrice);
  });
  const zScores = new Float64Array(n);
  for (let t = 1; t < days; t++) {
    const regime = regimeOn(dates[t] ?? '');
    const market = regime.marketMu + regime.marketSigma * random.normal();
    const smallCap = regime.smallCapMu + 0.004 * random.normal();
    const sectorMoves = new Map(
      GICS_SECTORS.map((sector) => [
        sector,
        (regime.sectorMu[sector] ?? 0) + regime.sectorSigma * random.normal(),
      ]),
    );
    const haveMomentum = t > MOMENTUM_LOOKBACK;
    if (haveMomentum) {
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < n; i++) {
        const lp = logPrices[i] as Float64Array;
        const value = (lp[t - 1 - MOMENTUM_SKIP] ?? 0) - (lp[t - 1 - MOMENTUM_LOOKBACK] ?? 0);
        zScores[i] = value;
        sum += value;
        sumSquares += value * value;
      }
      const mean = sum / n;
      const sd = Math.sqrt(Math.max(1e-12, sumSquares / n - mean * mean));
      for (let i = 0; i < n; i++) zScores[i] = Math.max(-3, Math.min(3, ((zScores[i] ?? 0) - mean) / sd));
    }
    for (let i = 0; i < n; i++) {
      const m = members[i] as Member;
      const drift = haveMomentum ? regime.momentum * MOMENTUM_DRIFT_PER_Z * (zScores[i] ?? 0) : 0;
      const r =
        m.beta * market +
        (sectorMoves.get(m.sector) ?? 0) +
        m.sizeLoading * smallCap +
        drift +
        m.idioSigma * random.normal();
      const clamped = Math.max(-0.6, Math.min(0.6, r));
      const lp = logPrices[i] as Float64Array;
      lp[t] = (lp[t - 1] ?? 0) + Math.log1p(clamped);
      (returns[i] as Float64Array)[t] = clamped;
      (closes[i] as Float64Array)[t] = Math.exp(lp[t] ?? 0);
    }
  }

  const closeMap = new Map<string, Float64Array>();
  const shares = new Map<string, number>();
  const caps = new Map<string, number>();
  const names = new Map<string, string>();
  members.forEach((m, i) => {
    closeMap.set(m.symbol, closes[i] as Float64Array);
    shares.set(m.symbol, m.shares);
    caps.set(m.symbol, MAG7_TODAY[m.symbol] ?? drafts[i]?.cap ?? Number.NaN);
  });
  for (const [symbol, , name] of SP500_MEMBERS) names.set(symbol, name);

  for (const fund of fundDefinitions()) {
    const fixed = fund.select(members);
    const series = sharedColumn(days);
    series[0] = fund.startPrice;
    let holdings = fixed;
    for (let t = 1; t < days; t++) {
      if (
        fund.momentumSelected &&
        t > MOMENTUM_LOOKBACK &&
        (dates[t] ?? '').slice(5, 7) !== (dates[t - 1] ?? '').slice(5, 7)
      ) {
        holdings = topByMomentum(logPrices, t, 0.2);
      }
      let weighted = 0;
      let totalWeight = 0;
      for (const i of holdings) {
        const weight =
          fund.weighting === 'cap'
            ? (members[i]?.shares ?? 0) * ((closes[i] as Float64Array)[t - 1] ?? 0)
            : 1;
        weighted += weight * ((returns[i] as Float64Array)[t] ?? 0);
        totalWeight += weight;
      }
      series[t] = (series[t - 1] ?? 0) * (1 + (totalWeight > 0 ? weighted / totalWeight : 0));
    }
    closeMap.set(fund.symbol, series);
    names.set(fund.symbol, fund.name);
  }
  return { dates, closes: closeMap, shares, caps, names };
}

/** Indices of the top fraction by 12-1 month return as of the close before session t. */
function topByMomentum(logPrices: readonly Float64Array[], t: number, fraction: number): number[] {
  const scores = logPrices.map((lp, i) => ({
    i,
    score: (lp[t - 1 - MOMENTUM_SKIP] ?? 0) - (lp[t - 1 - MOMENTUM_LOOKBACK] ?? 0),
  }));
  scores.sort((a, b) => b.score - a.score);
  return scores.slice(0, Math.round(logPrices.length * fraction)).map((s) => s.i);
}

const round4 = (value: number): number => Math.round(value * 10_000) / 10_000;

/** Open, high, low and volume around the generated close, seeded per symbol so they never change. */
function barsOf(symbol: string, dates: readonly IsoDate[], closes: Float64Array, seed: number): DailyBars {
  const random = createRandom(hashSymbol(symbol, seed));
  const n = dates.length;
  const bars = allocateBars(symbol, dates);
  const baseVolume = 1e6 * (1 + 20 * random.uniform());
  for (let t = 0; t < n; t++) {
    const close = closes[t] ?? 0;
    const previous = t > 0 ? (closes[t - 1] ?? close) : close;
    const open = previous * Math.exp(0.3 * Math.log(close / previous) + 0.002 * random.normal());
    const wiggle = 0.006 * Math.abs(random.normal());
    bars.open[t] = round4(open);
    bars.high[t] = round4(Math.max(open, close) * (1 + wiggle));
    bars.low[t] = round4(Math.min(open, close) * (1 - 0.006 * Math.abs(random.normal())));
    bars.close[t] = round4(close);
    bars.adjClose[t] = round4(close);
    bars.volume[t] = Math.round(
      baseVolume * Math.exp(0.3 * random.normal()) * (1 + 8 * Math.abs(close / previous - 1)),
    );
  }
  return bars;
}

/** Builds the demo market for a seed up to a day; the bot runs it in a worker thread (600 ms of CPU). */
export type DemoGenerator = (seed: number, end: IsoDate) => Promise<DemoMarket>;

const generateHere: DemoGenerator = (seed, end) =>
  Promise.resolve().then(() => generateDemoMarket(seed, end));

const DEMO_WORKER = new URL(`./demo-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Generates in a thread of its own, started for the purpose (once a trading day), so the bot's main
 * thread keeps answering Discord meanwhile. Not in the report workers: their reports wait for this
 * market, and would hold every worker the generation needs.
 */
export const generateDemoInWorker: DemoGenerator = (seed, end) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(DEMO_WORKER, { workerData: { seed, end } });
    worker.once('message', (market: DemoMarket) => {
      resolve(market);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      reject(new Error(`the demo market worker exited with code ${code}`));
    });
  });

export class DemoMarketData implements MarketData {
  readonly source = 'demo' as const;
  readonly label = DEMO_LABEL;
  private market: { end: IsoDate; data: Promise<DemoMarket> } | null = null;
  private readonly bars = new Map<string, DailyBars>();
  private readonly seed: number;
  private readonly now: () => Date;
  private readonly generate: DemoGenerator;

  constructor(seed: number, now: () => Date, generate: DemoGenerator = generateHere) {
    this.seed = seed;
    this.now = now;
    this.generate = generate;
  }

  /**
   * Generated once per closed session (the demo market "trades" along with the real calendar); requests
   * arriving while it is generated wait for the same market.
   */
  private data(): Promise<DemoMarket> {
    const end = marketStatus(this.now()).lastClosedSession;
    if (this.market?.end !== end) {
      const data = this.generate(this.seed, end);
      this.market = { end, data };
      this.bars.clear();
      data.catch(() => {
        if (this.market?.data === data) this.market = null;
      });
    }
    return this.market.data;
  }

  private async fullBars(symbol: string): Promise<DailyBars> {
    const key = symbol.toUpperCase();
    const market = await this.data();
    const cached = this.bars.get(key);
    if (cached) return cached;
    const closes = market.closes.get(key);
    if (!closes)
      throw new UnknownSymbolError(
        symbol,
        'the demo market has no such symbol (it has the S&P 500 members and the main index, sector and style ETFs)',
      );
    const bars = barsOf(key, market.dates, closes, this.seed);
    this.bars.set(key, bars);
    return bars;
  }

  async getDailyBars(symbol: string, range: DateRange): Promise<DailyBars> {
    return sliceBars(await this.fullBars(symbol), range);
  }

  async getQuotes(symbols: readonly string[]): Promise<QuoteBatch> {
    const quotes: Quote[] = [];
    const missing: MissingSymbol[] = [];
    const market = await this.data();
    for (const symbol of symbols) {
      const key = symbol.toUpperCase();
      if (!market.closes.has(key)) {
        missing.push({ symbol, reason: 'the demo market has no such symbol' });
        continue;
      }
      const bars = await this.fullBars(key);
      const quote = quoteFromBars(bars, market.caps.get(key) ?? null, market.names.get(key) ?? null);
      if (quote) quotes.push(quote);
    }
    return { quotes, missing };
  }
}
