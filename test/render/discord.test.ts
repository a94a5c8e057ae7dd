import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DISCORD_LIMITS,
  embedLength,
  fitMessage,
  renderBriefMessage,
  renderReportMessage,
  truncate,
} from '../../src/render/discord.ts';
import type { Report } from '../../src/reports/types.ts';

function assertFits(message: ReturnType<typeof fitMessage>): void {
  assert.ok(message.content.length <= DISCORD_LIMITS.content);
  assert.ok(message.embeds.length <= DISCORD_LIMITS.embedsPerMessage);
  let total = 0;
  for (const embed of message.embeds) {
    assert.ok((embed.title ?? '').length <= DISCORD_LIMITS.title, 'title');
    assert.ok((embed.description ?? '').length <= DISCORD_LIMITS.description, 'description');
    assert.ok((embed.footer?.text ?? '').length <= DISCORD_LIMITS.footer, 'footer');
    assert.ok((embed.fields ?? []).length <= DISCORD_LIMITS.fields, 'field count');
    for (const field of embed.fields ?? []) {
      assert.ok(field.name.length >= 1 && field.name.length <= DISCORD_LIMITS.fieldName, 'field name');
      assert.ok(field.value.length >= 1 && field.value.length <= DISCORD_LIMITS.fieldValue, 'field value');
      assert.equal((field.value.match(/```/g) ?? []).length % 2, 0, 'code blocks are closed');
    }
    total += embedLength(embed);
  }
  assert.ok(total <= DISCORD_LIMITS.embedsTotal, `${total} characters across embeds`);
}

/** A report far beyond every Discord limit: long title, 60 events, 80 metrics, 200-row tables, long notes. */
function oversizedReport(): Report {
  const metrics: Record<string, number | null> = {};
  const metricInfo: Record<string, { label: string; unit: 'fraction' }> = {};
  for (let i = 0; i < 80; i++) {
    metrics[`metric_${i}`] = i / 1000;
    metricInfo[`metric_${i}`] = {
      label: `A rather long metric label number ${i} `.repeat(3),
      unit: 'fraction',
    };
  }
  const columns = Array.from({ length: 12 }, (_, c) => ({
    key: `c${c}`,
    label: `Column ${c}`,
    unit: c === 0 ? ('text' as const) : ('fraction' as const),
  }));
  const rows = Array.from({ length: 200 }, (_, r) =>
    columns.map((_, c) => (c === 0 ? `Row ${r} ${'name '.repeat(8)}` : r / 100 + c)),
  );
  return {
    command: 'momentum',
    title: `Momentum ${'very long title '.repeat(40)}`,
    asOf: '2024-07-11',
    source: { name: 'demo', label: 'DEMO DATA (synthetic market)' },
    universe: { name: 'sp500', description: 'S&P 500 members', size: 503, covered: 500, missing: [] },
    options: {},
    metrics,
    metricInfo,
    tables: [
      { id: 'big', title: 'A big table', columns, rows },
      { id: 'second', title: 'Another', columns, rows },
    ],
    series: [],
    events: Array.from({ length: 60 }, (_, e) => ({
      id: `event_${e}`,
      severity: e % 2 === 0 ? ('extreme' as const) : ('notable' as const),
      date: '2024-07-11',
      title: `Event ${e} ${'with a long title '.repeat(5)}`,
      detail: 'Detail that goes on and on. '.repeat(30),
      earlierDates: [],
      stats: {},
    })),
    notes: Array.from({ length: 50 }, (_, n) => `Note ${n}: ${'something worth saying '.repeat(12)}`),
  };
}

describe('Discord embeds', () => {
  it('counts embed characters as Discord does', () => {
    const length = embedLength({
      title: 'abc',
      description: 'de',
      fields: [{ name: 'f', value: 'gh' }],
      footer: { text: 'ijkl' },
    });
    assert.equal(length, 3 + 2 + 1 + 2 + 4);
  });

  it('truncates with an ellipsis, closes a cut code block and never splits an emoji', () => {
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abc', 3), 'abc');
    const block = truncate('```\nline one\nline two\nline three\n```', 20);
    assert.ok(block.length <= 20);
    assert.ok(block.endsWith('```'));
    assert.equal((block.match(/```/g) ?? []).length, 2);
    const emoji = truncate('ab📈📈', 4);
    assert.equal(emoji, 'ab…');
  });

  it('keeps an oversized report within every limit and attaches all of it', () => {
    const report = oversizedReport();
    const message = renderReportMessage(report, Object.keys(report.metrics));
    assertFits(message);
    const [embed] = message.embeds;
    assert.ok(embed);
    assert.ok(embed.title?.endsWith('…'));
    assert.match(embed.footer?.text ?? '', /Shortened to fit Discord\.$/);
    assert.match(embed.description ?? '', /…and 56 more events in the attached file\./);
    assert.ok(message.attachment);
    assert.equal(message.attachment.name, 'momentum-2024-07-11.md');
    assert.match(message.attachment.text, /Row 199/, 'the last table row is in the attachment');
    assert.match(message.attachment.text, /Note 49/);
  });

  it('keeps the market brief of three oversized reports within the 6000-character total', () => {
    const report = oversizedReport();
    const message = renderBriefMessage(
      [0, 1, 2].map(() => ({ report, headline: Object.keys(report.metrics) })),
    );
    assertFits(message);
    assert.equal(message.embeds.length, 3);
  });

  it('drops embeds beyond ten and cuts content to 2000 characters', () => {
    const message = fitMessage({
      content: 'x'.repeat(5000),
      embeds: Array.from({ length: 12 }, (_, i) => ({ title: `embed ${i}`, description: 'y'.repeat(3000) })),
      attachment: null,
    });
    assertFits(message);
    assert.equal(message.embeds.length, 10);
    assert.equal(message.content.length, 2000);
  });

  it('shows headline metrics with units and a compact table; a small report needs no attachment', () => {
    const report: Report = {
      ...oversizedReport(),
      title: 'Momentum factor',
      events: [],
      notes: [],
      metrics: { ls_return_1d: -0.077 },
      metricInfo: { ls_return_1d: { label: 'Long-short return, 1 day', unit: 'fraction' } },
      tables: [
        {
          id: 't',
          title: 'Leaders',
          columns: [
            { key: 's', label: 'Symbol', unit: 'text' },
            { key: 'r', label: '1d', unit: 'fraction' },
          ],
          rows: [['NVDA', 0.0123]],
        },
      ],
    };
    const message = renderReportMessage(report, ['ls_return_1d']);
    const fields = message.embeds[0]?.fields ?? [];
    assert.deepEqual(fields[0], { name: 'Long-short return, 1 day', value: '-7.70%', inline: true });
    assert.equal(fields[1]?.value, '```\nSymbol      1d\n------  ------\nNVDA    +1.23%\n```');
    assert.equal(message.embeds[0]?.description, 'No notable events today.');
    assert.equal(message.attachment, null);
  });
});
