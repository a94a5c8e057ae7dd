import type { RequestName } from '../../commands/index.ts';

/**
 * Without an LLM, direct messages are routed by keywords to a report. The router never executes what
 * it reads: it only picks a report name, an optional universe and an optional as-of date, all checked
 * afterwards by the same validation as slash commands.
 */
export const MAX_DM_CHARACTERS = 500;

export type DmIntent =
  | {
      readonly kind: 'report';
      readonly report: RequestName;
      readonly options: { readonly universe?: string; readonly symbol?: string };
      readonly asOf: string | null;
      /** What the router understood, said back to the user. */
      readonly understood: string;
    }
  | {
      readonly kind: 'help';
      readonly reason: string;
      /** True when the message was fine but named no report: a language model may still place it. */
      readonly unplaced: boolean;
    };

const KEYWORDS: Readonly<Record<Exclude<RequestName, 'market'>, readonly RegExp[]>> = {
  momentum: [/\bmomentum\b/, /\bwinners?\b/, /\blosers?\b/, /\bfactor\b/, /\bmtum\b/, /\bspmo\b/, /\bcrash/],
  breadth: [
    /\bbreadth\b/,
    /\bparticipation\b/,
    /\badvance|\bdecline|\ba\/d\b/,
    /\bnew (highs|lows)\b/,
    /\b(50|200)[- ]?d(ay)?\b/,
    /\bconcentrat/,
    /\bmag(nificent)? ?7\b|\bmag7\b/,
    /\baverage stock\b/,
    /\bmcclellan\b/,
    /\bequal[- ]weight/,
  ],
  rotation: [
    /\brotat/,
    /\bsectors?\b/,
    /\bsmall[- ]?caps?\b/,
    /\brussell\b|\biwm\b/,
    /\bnasdaq\b|\bqqq\b/,
    /\bvalue\b|\bgrowth\b/,
    /\bcyclicals?\b|\bdefensives?\b/,
    /\bbanks?\b|\btech\b/,
  ],
  quote: [/\bquotes?\b/, /\bprice (of|for)\b/, /\bhow is \$[a-z]/],
  chart: [/\bchart\b/, /\bgraph\b/],
};
/**
 * Tickers in a message: `$nvda` in any case, or a word in capitals (NVDA, BRK.B). "I" and "A" are
 * words, not the tickers of Intel's and Agilent's old listings.
 */
const TICKER = /\$([a-z]{1,5}(?:[.-][a-z]{1,2})?)\b|\b([A-Z]{1,5}(?:[.-][A-Z]{1,2})?)\b/gi;
const NOT_TICKERS = new Set(['I', 'A', 'AM', 'PM', 'VS', 'OK', 'US', 'AI']);

function tickersIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(TICKER)) {
    const dollar = match[1];
    const word = match[2];
    if (dollar !== undefined) found.push(dollar.toUpperCase());
    else if (word !== undefined && word === word.toUpperCase() && !NOT_TICKERS.has(word)) found.push(word);
  }
  return [...new Set(found)];
}
const MARKET = [/\bmarket\b/, /\boverview\b/, /\bbrief\b/, /\bsummary\b/, /\beverything\b/, /\btoday\b/];
const HELP = [/^help\b/, /\bwhat can you\b/, /\bcommands?\b/];
const UNIVERSES: readonly [RegExp, string][] = [
  [/\bs&p ?500\b|\bsp ?500\b/, 'sp500'],
  [/\bmag(nificent)? ?7\b|\bmag7\b/, 'mag7'],
];

export const DM_HELP = [
  'Ask me about the market in a few words, for example:',
  '• "momentum" or "are momentum stocks crashing?"',
  '• "how is breadth?" or "breadth of mag7"',
  '• "small caps vs nasdaq" or "sector rotation"',
  '• "market" for a brief of all three; add a date (2024-07-11) to see a past close.',
  '• "quote NVDA AAPL" or "chart $TSLA" for symbols of your choice.',
  'In a server, the same reports are /momentum, /breadth, /rotation, /market, /quote and /chart.',
].join('\n');

export function routeDirectMessage(text: string): DmIntent {
  const length = text.length;
  if (length > MAX_DM_CHARACTERS) {
    return {
      kind: 'help',
      reason: `Your message is ${length.toLocaleString('en-US')} characters long; I read at most ${MAX_DM_CHARACTERS}. Ask in a few words.`,
      unplaced: false,
    };
  }
  const lower = text.toLowerCase();
  if (!/[\p{L}\p{N}]/u.test(lower)) {
    return { kind: 'help', reason: 'I could not find any words in your message.', unplaced: false };
  }
  if (HELP.some((pattern) => pattern.test(lower.trim())))
    return { kind: 'help', reason: 'Here is what I can do.', unplaced: false };
  const scores = (Object.keys(KEYWORDS) as (keyof typeof KEYWORDS)[])
    .map((report) => ({ report, score: KEYWORDS[report].filter((pattern) => pattern.test(lower)).length }))
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score);
  const [best, second] = scores;
  let report: RequestName | null = null;
  if (best && (!second || best.score > second.score)) report = best.report;
  else if (best || MARKET.some((pattern) => pattern.test(lower))) report = 'market';
  if (report === null) {
    return { kind: 'help', reason: 'I did not recognise a report in your message.', unplaced: true };
  }
  const asOf = /\b(\d{4}-\d{2}-\d{2})\b/.exec(lower)?.[1] ?? null;
  if (report === 'quote' || report === 'chart') {
    const tickers = tickersIn(text);
    const chosen = report === 'quote' ? tickers.join(',') : tickers[0];
    const named = chosen === undefined || chosen === '' ? null : chosen;
    return {
      kind: 'report',
      report,
      options: named === null ? {} : report === 'quote' ? { universe: named } : { symbol: named },
      asOf,
      understood: describeRequest(report, named, asOf),
    };
  }
  const universe =
    report === 'rotation' ? undefined : UNIVERSES.find(([pattern]) => pattern.test(lower))?.[1];
  return {
    kind: 'report',
    report,
    options: universe === undefined ? {} : { universe },
    asOf,
    understood: describeRequest(report, universe ?? null, asOf),
  };
}

/** What a request was understood as, said back to the user: "I understood: the breadth report for mag7." */
export function describeRequest(report: RequestName, universe: string | null, asOf: string | null): string {
  const parts = [
    report === 'market'
      ? 'the market brief'
      : report === 'quote' || report === 'chart'
        ? `a ${report}`
        : `the ${report} report`,
    universe === null ? null : `for ${universe}`,
    asOf === null ? null : `as of ${asOf}`,
  ].filter((part) => part !== null);
  return `I understood: ${parts.join(' ')}.`;
}
