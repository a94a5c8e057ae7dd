import type { APIEmbed, APIEmbedField } from 'discord.js';
import { NOT_ADVICE, type Report, type ReportTable, type Severity, type Summary } from '../reports/types.ts';
import { asOfPhrase, formatMetric } from '../reports/format.ts';
import { renderReportMarkdown, reportHeader, tableParts } from './report.ts';
import { renderTextTable } from './table.ts';

/**
 * Discord refuses a whole message when any one of these is exceeded, so every message the bot sends
 * goes through fitMessage, and the renderers aim well inside them to begin with.
 * https://discord.com/developers/docs/resources/message#embed-object-embed-limits
 */
export const DISCORD_LIMITS = {
  content: 2000,
  embedsPerMessage: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  /** Title, description, field names and values, footer and author of all embeds of one message. */
  embedsTotal: 6000,
} as const;

const ELLIPSIS = '…';
const SEVERITY_COLOR: Record<Severity | 'none', number> = {
  extreme: 0xd83c3e,
  notable: 0xf0a020,
  info: 0x3b82f6,
  none: 0x5865f2,
};
const SEVERITY_ICON: Record<Severity, string> = { extreme: '🔴', notable: '🟠', info: '🔹' };
/** Rows of a table shown in a message; the attached Markdown file has them all. */
const TABLE_ROWS = 8;
/** Characters per line of a table in a code block before phones wrap it. */
const TABLE_WIDTH = 56;
const EVENTS_SHOWN = 4;

export interface MessageAttachment {
  readonly name: string;
  readonly text: string;
}

/** A chart drawn for a message, shown inside its first embed. */
export interface ChartImage {
  readonly name: string;
  readonly png: Buffer;
}

/** A message as the bot sends it: content, embeds, the full report as a file, and a chart. */
export interface RenderedMessage {
  readonly content: string;
  readonly embeds: readonly APIEmbed[];
  readonly attachment: MessageAttachment | null;
  readonly chart?: ChartImage | undefined;
}

/**
 * Lengths are counted in UTF-16 code units, never fewer than the characters Discord counts, so a
 * message that fits here fits there.
 */
function cutAt(text: string, length: number): string {
  const cut = text.slice(0, Math.max(0, length));
  // Never leave half of a surrogate pair (an emoji) at the end.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Cuts text to max characters, ending in an ellipsis, and closes a code block the cut left open. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = cutAt(text, max - 1) + ELLIPSIS;
  if ((cut.match(/```/g) ?? []).length % 2 === 1) cut = `${cutAt(text, max - 5)}${ELLIPSIS}\n\`\`\``;
  return cut;
}

/** Characters Discord counts against the 6000 limit for one embed. */
export function embedLength(embed: APIEmbed): number {
  const count = (text: string | undefined) => text?.length ?? 0;
  return (
    count(embed.title) +
    count(embed.description) +
    count(embed.footer?.text) +
    count(embed.author?.name) +
    (embed.fields ?? []).reduce((sum, field) => sum + count(field.name) + count(field.value), 0)
  );
}

/** Text from data (symbols, universe names, user input) must not turn into Discord formatting. */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>#[\]()-])/g, '\\$1');
}

function fitEmbed(embed: APIEmbed): APIEmbed {
  const fitted: APIEmbed = { ...embed };
  if (embed.title !== undefined) fitted.title = truncate(embed.title, DISCORD_LIMITS.title);
  if (embed.description !== undefined)
    fitted.description = truncate(embed.description, DISCORD_LIMITS.description);
  if (embed.footer)
    fitted.footer = { ...embed.footer, text: truncate(embed.footer.text, DISCORD_LIMITS.footer) };
  if (embed.author)
    fitted.author = { ...embed.author, name: truncate(embed.author.name, DISCORD_LIMITS.author) };
  if (embed.fields) {
    fitted.fields = embed.fields.slice(0, DISCORD_LIMITS.fields).map((field) => ({
      ...field,
      name: truncate(field.name === '' ? '\u200b' : field.name, DISCORD_LIMITS.fieldName),
      value: truncate(field.value === '' ? '\u200b' : field.value, DISCORD_LIMITS.fieldValue),
    }));
  }
  return fitted;
}

/**
 * Enforces every Discord limit on a message: each piece is cut to its own limit, then fields are dropped
 * from the last embed backwards (and at the end descriptions shortened) until all embeds together fit
 * 6000 characters. A message that had to lose something says so in its last footer.
 */
export function fitMessage(message: RenderedMessage): RenderedMessage {
  const embeds = message.embeds.slice(0, DISCORD_LIMITS.embedsPerMessage).map(fitEmbed);
  const total = () => embeds.reduce((sum, embed) => sum + embedLength(embed), 0);
  let shortened = embeds.length < message.embeds.length;
  const marker = ' · Shortened to fit Discord.';
  const budget = DISCORD_LIMITS.embedsTotal - marker.length;
  for (let e = embeds.length - 1; e >= 0 && total() > budget; e--) {
    const embed = embeds[e];
    if (!embed) continue;
    while (embed.fields && embed.fields.length > 0 && total() > budget) {
      embed.fields = embed.fields.slice(0, -1);
      shortened = true;
    }
  }
  for (let e = embeds.length - 1; e >= 0 && total() > budget; e--) {
    const embed = embeds[e];
    if (embed?.description === undefined) continue;
    const excess = total() - budget;
    embed.description = truncate(embed.description, Math.max(1, embed.description.length - excess));
    shortened = true;
  }
  for (let e = embeds.length - 1; e >= 0 && total() > budget; e--) {
    const embed = embeds[e];
    if (embed?.title === undefined) continue;
    embed.title = truncate(embed.title, Math.max(1, embed.title.length - (total() - budget)));
    shortened = true;
  }
  const last = embeds[embeds.length - 1];
  if (shortened && last) {
    const footer = last.footer?.text ?? '';
    last.footer = { text: truncate(footer, DISCORD_LIMITS.footer - marker.length) + marker };
  }
  return {
    content: truncate(message.content, DISCORD_LIMITS.content),
    embeds,
    attachment: message.attachment,
    chart: message.chart,
  };
}

function strongestSeverity(report: Report): Severity | 'none' {
  if (report.events.some((e) => e.severity === 'extreme')) return 'extreme';
  if (report.events.some((e) => e.severity === 'notable')) return 'notable';
  return report.events.length > 0 ? 'info' : 'none';
}

function metricField(report: Report, id: string): APIEmbedField | null {
  if (!(id in report.metrics)) return null;
  const { label, text } = formatMetric(report, id);
  return { name: label, value: text, inline: true };
}

function eventLines(report: Report, shown: number): string {
  const lines = report.events
    .slice(0, shown)
    .map((event) => `${SEVERITY_ICON[event.severity]} **${escapeMarkdown(event.title)}.** ${event.detail}`);
  const hidden = report.events.length - shown;
  if (hidden > 0) lines.push(`…and ${hidden} more event${hidden === 1 ? '' : 's'} in the attached file.`);
  return lines.join('\n');
}

/** A table as a monospace block: the columns that fit a phone's width, the first rows, and what was left out. */
export function compactTable(table: ReportTable, maxRows = TABLE_ROWS): { text: string; complete: boolean } {
  const { columns, rows } = tableParts(table);
  const shownRows = rows.slice(0, maxRows);
  const width = (c: number) =>
    Math.max(columns[c]?.header.length ?? 0, ...shownRows.map((row) => (row[c] ?? '').length));
  const kept: number[] = [];
  let used = 0;
  for (let c = 0; c < columns.length; c++) {
    const w = Math.min(width(c), 24) + (kept.length > 0 ? 2 : 0);
    if (kept.length > 0 && used + w > TABLE_WIDTH) break;
    kept.push(c);
    used += w;
  }
  const cut = (text: string) => (text.length > 24 ? `${text.slice(0, 23)}${ELLIPSIS}` : text);
  const body = renderTextTable(
    kept.map((c) => ({ ...(columns[c] ?? { header: '' }), header: cut(columns[c]?.header ?? '') })),
    shownRows.map((row) => kept.map((c) => cut(row[c] ?? ''))),
  ).replace(/`/g, "'");
  const complete = shownRows.length === rows.length && kept.length === columns.length;
  const more: string[] = [];
  if (rows.length > shownRows.length) more.push(`${rows.length - shownRows.length} more rows`);
  if (kept.length < columns.length) more.push(`${columns.length - kept.length} more columns`);
  const tail = more.length > 0 ? `\n${more.join(', ')} in the attached file` : '';
  return { text: `\`\`\`\n${body}\n\`\`\`${tail}`, complete };
}

function footerText(report: Report): string {
  return `${reportHeader(report)} · ${NOT_ADVICE}`;
}

function attachmentFor(report: Report): MessageAttachment {
  return { name: `${report.command}-${report.asOf}.md`, text: renderReportMarkdown(report) };
}

/**
 * One report as one embed: the events first (they are the news), the headline metrics as inline
 * fields, the first table compactly, the notes, and as-of, source and "not investment advice" in the
 * footer. The complete report travels as an attached Markdown file whenever the embed leaves
 * anything out, so no number is lost to Discord's limits.
 */
export function renderReportMessage(report: Report, headline: readonly string[]): RenderedMessage {
  const fields = headline.flatMap((id) => metricField(report, id) ?? []);
  let complete = fields.length === Object.keys(report.metrics).length;
  const [firstTable] = report.tables;
  if (firstTable) {
    const table = compactTable(firstTable);
    fields.push({ name: firstTable.title, value: table.text, inline: false });
    complete &&= table.complete && report.tables.length === 1;
  }
  if (report.notes.length > 0) {
    fields.push({ name: 'Notes', value: report.notes.map((n) => `• ${n}`).join('\n'), inline: false });
  }
  const description =
    report.events.length > 0 ? eventLines(report, EVENTS_SHOWN) : 'No notable events today.';
  complete &&= report.events.length <= EVENTS_SHOWN;
  return fitMessage({
    content: '',
    embeds: [
      {
        title: report.title,
        description,
        color: SEVERITY_COLOR[strongestSeverity(report)],
        fields,
        footer: { text: footerText(report) },
      },
    ],
    attachment: complete ? null : attachmentFor(report),
  });
}

/** The /market brief: one short embed per report, headline numbers and the top event of each. */
export function renderBriefMessage(
  parts: readonly { readonly report: Report; readonly headline: readonly string[] }[],
  omitted: readonly { readonly command: string; readonly reason: string }[] = [],
): RenderedMessage {
  const embeds = parts.map(({ report, headline }): APIEmbed => ({
    title: report.title,
    description: report.events.length > 0 ? eventLines(report, 2) : 'No notable events today.',
    color: SEVERITY_COLOR[strongestSeverity(report)],
    fields: headline.slice(0, 6).flatMap((id) => metricField(report, id) ?? []),
    footer: { text: footerText(report) },
  }));
  const text = parts.map(({ report }) => renderReportMarkdown(report)).join('\n---\n\n');
  const asOf = parts[0]?.report.asOf ?? 'today';
  // Whatever the brief had to leave out is said above it, so a missing panel is never a mystery.
  const content = omitted.map((o) => `Not in this brief: ${o.command}. ${o.reason}`).join('\n');
  return fitMessage({ content, embeds, attachment: { name: `market-${asOf}.md`, text } });
}

/**
 * Summaries of one answer's reports, one embed each. A model's words are escaped so they cannot
 * format, link or hide anything; the footer says who wrote the summary and from what.
 */
export function renderSummaryMessage(
  parts: readonly { readonly report: Report; readonly summary: Summary }[],
): RenderedMessage {
  const embeds = parts.map(({ report, summary }): APIEmbed => {
    const text = (line: string) => (summary.origin === 'llm' ? escapeMarkdown(line) : line);
    const author =
      summary.origin === 'llm'
        ? "Written by a language model from the report's numbers and checked against them"
        : `Written from the report's numbers by template${summary.note === null ? '' : ` (${summary.note})`}`;
    return {
      title: `What it means: ${report.title}`,
      description: [`**${text(summary.headline)}**`, ...summary.bullets.map((b) => `• ${text(b)}`)].join(
        '\n',
      ),
      color: SEVERITY_COLOR[strongestSeverity(report)],
      footer: { text: `${asOfPhrase(summary.asOf)} · ${author} · ${NOT_ADVICE}` },
    };
  });
  return fitMessage({ content: '', embeds, attachment: null });
}

/** The message with its chart attached and shown as the first embed's image. */
export function withChart(message: RenderedMessage, chart: ChartImage): RenderedMessage {
  const [first, ...rest] = message.embeds;
  if (!first) return message;
  return { ...message, chart, embeds: [{ ...first, image: { url: `attachment://${chart.name}` } }, ...rest] };
}

/** A short plain message (help, errors, confirmations), still held to the content limit. */
export function textMessage(content: string): RenderedMessage {
  return fitMessage({ content, embeds: [], attachment: null });
}
