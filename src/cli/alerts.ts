import {
  alertValueText,
  conditionHistory,
  describeCondition,
  parseAlertCondition,
  readsUniverse,
  scanHistory,
} from '../alerts.ts';
import { TapewatchError } from '../errors.ts';
import { addDays } from '../market/calendar.ts';
import { formatPercent } from '../reports/format.ts';
import { renderTextTable } from '../render/table.ts';
import { resolveUniverse } from '../universes/index.ts';
import type { CliContext } from './context.ts';
import { checkDateFlags } from './flags.ts';

/** Calendar days a scan loads before --from, so every indicator has warmed up by then. */
const WARM_UP_DAYS = 800;

/**
 * `tapewatch alerts scan`: the alert's backtest. Every day from --from to --to is read as the bot would
 * read it after that day's close, and the days it would have fired on are listed with counts by year.
 */
export async function runAlertsScan(
  context: CliContext,
  options: { condition: string; threshold?: string; from?: string; to?: string },
): Promise<void> {
  const range = {
    ...(options.from === undefined ? {} : { from: options.from }),
    ...(options.to === undefined ? {} : { to: options.to }),
  };
  checkDateFlags(range);
  const threshold = options.threshold === undefined ? null : Number(options.threshold);
  if (threshold !== null && !Number.isFinite(threshold)) {
    throw new TapewatchError('bad_input', `--threshold "${options.threshold ?? ''}" is not a number.`);
  }
  const condition = parseAlertCondition(options.condition, threshold);
  const to = options.to !== undefined && options.to < context.endDate ? options.to : context.endDate;
  const from = options.from ?? addDays(to, -5 * 365);
  if (from > to) throw new TapewatchError('bad_input', `--from ${from} is after --to ${to}.`);
  const universe = resolveUniverse(context.options.universe ?? 'sp500', context.policy.universes);
  const history = await conditionHistory(
    {
      marketData: context.marketData,
      endDate: to,
      historyFrom: addDays(from, -WARM_UP_DAYS),
      badTickFactor: context.config.badTickFactor,
    },
    condition,
    universe,
  );
  const { fired, sessions } = scanHistory(history, condition, from, to);
  const perYear: Record<string, number> = {};
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) perYear[String(year)] = 0;
  for (const { date } of fired) perYear[date.slice(0, 4)] = (perYear[date.slice(0, 4)] ?? 0) + 1;
  const described = describeCondition(condition);
  if (context.options.format === 'json') {
    context.io.stdout(
      `${JSON.stringify(
        {
          command: 'alerts scan',
          condition: described,
          universe: readsUniverse(condition) ? universe.name : null,
          source: { name: context.marketData.source, label: context.marketData.label },
          from,
          to,
          sessions,
          fired: fired.map((f) => ({ date: f.date, value: Number.isFinite(f.value) ? f.value : null })),
          perYear,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const on = readsUniverse(condition) ? ` on ${universe.name}` : '';
  const share = sessions === 0 ? 'n/a' : formatPercent(fired.length / sessions, 1).replace('+', '');
  const lines = [
    `Alert scan: ${described}${on} · ${from} to ${to} · ${context.marketData.label}`,
    '',
    `Would have fired on ${fired.length} of ${sessions.toLocaleString('en-US')} sessions (${share}).`,
  ];
  if (fired.length > 0) {
    lines.push(
      '',
      renderTextTable(
        [{ header: 'Fired on' }, { header: history.valueLabel, align: 'right' }],
        fired.map((f) => [f.date, alertValueText(history, f.value)]),
      ),
    );
  }
  lines.push(
    '',
    renderTextTable(
      [{ header: 'Year' }, { header: 'Fired', align: 'right' }],
      Object.entries(perYear).map(([year, count]) => [year, String(count)]),
    ),
  );
  context.io.stdout(`${lines.join('\n')}\n`);
}
