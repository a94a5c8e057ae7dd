import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { ReportButtons } from '../src/bot/buttons.ts';
import { LlmBudget } from '../src/bot/budget.ts';
import { Cooldown } from '../src/bot/cooldown.ts';
import { slashCommandDefinitions } from '../src/bot/definitions.ts';
import { canManageSchedules } from '../src/bot/handlers/schedule.ts';
import { routeDirectMessage } from '../src/bot/dm-router.ts';
import { hashUserId, userFacingError } from '../src/bot/replies.ts';
import {
  decideSlot,
  latestSlot,
  MAX_SCHEDULES_PER_SERVER,
  nextSlot,
  parseScheduleInput,
  ScheduleStore,
  type Schedule,
} from '../src/bot/schedules.ts';
import { parseConfig } from '../src/config/index.ts';
import { TapewatchError } from '../src/errors.ts';
import {
  DISCORD_LIMITS,
  embedLength,
  fitMessage,
  renderBriefMessage,
  renderReportMessage,
  truncate,
} from '../src/render/discord.ts';
import type { Report } from '../src/reports/types.ts';
import { openDatabase } from '../src/store/database.ts';
import { FakeClock } from './helpers/clock.ts';

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

describe('schedules', () => {
  const base: Schedule = {
    id: 1,
    guildId: 'g',
    channelId: 'c',
    report: 'market',
    time: '16:15',
    days: 'weekdays',
    timeZone: 'America/New_York',
    createdBy: 'u',
    createdAt: new Date('2024-01-01T00:00:00Z'),
    lastSlot: null,
    lastOutcome: null,
    disabledReason: null,
  };

  it('parses times, days and time zones, and names the option that is wrong', () => {
    assert.deepEqual(parseScheduleInput({ time: '9:05' }), {
      time: '09:05',
      days: 'weekdays',
      timeZone: 'America/New_York',
    });
    assert.deepEqual(parseScheduleInput({ time: '16:15', days: 'Fri, mon', timeZone: 'Europe/London' }), {
      time: '16:15',
      days: 'mon,fri',
      timeZone: 'Europe/London',
    });
    for (const [input, message] of [
      [{ time: '24:00' }, /`time`: "24:00" is not a time/],
      [{ time: '4:15pm' }, /`time`/],
      [{ time: '16:15', days: 'sat' }, /`days`: markets are closed on sat/],
      [{ time: '16:15', days: 'mon,funday' }, /`days`: "funday" is not a day/],
      [{ time: '16:15', timeZone: 'Mars/Olympus' }, /`timezone`: "Mars\/Olympus" is not a time zone/],
      [{ time: '16:15', timeZone: 'UTC' }, /`timezone`/],
    ] as const) {
      assert.throws(
        () => parseScheduleInput(input),
        (e: unknown) => e instanceof TapewatchError && e.code === 'bad_input' && message.test(e.message),
      );
    }
  });

  it('finds slots in New York time across daylight saving, skipping weekends and NYSE holidays', () => {
    // Winter: 16:15 EST is 21:15 UTC.
    assert.equal(
      latestSlot(base, new Date('2024-01-05T21:20:00Z'))?.at.toISOString(),
      '2024-01-05T21:15:00.000Z',
    );
    // Summer: 16:15 EDT is 20:15 UTC.
    assert.equal(
      latestSlot(base, new Date('2024-07-12T20:15:00Z'))?.at.toISOString(),
      '2024-07-12T20:15:00.000Z',
    );
    // Saturday 2024-07-13: the latest slot is Friday's.
    assert.equal(latestSlot(base, new Date('2024-07-13T18:00:00Z'))?.date, '2024-07-12');
    // Independence Day, a Thursday: the latest slot is Wednesday's, the next Friday's.
    const july4 = new Date('2024-07-04T21:00:00Z');
    assert.equal(latestSlot(base, july4)?.date, '2024-07-03');
    assert.equal(nextSlot(base, july4)?.date, '2024-07-05');
    // Good Friday 2024-03-29 and Thanksgiving 2025-11-27 are closed.
    assert.equal(nextSlot(base, new Date('2024-03-28T21:00:00Z'))?.date, '2024-04-01');
    assert.equal(nextSlot(base, new Date('2025-11-26T22:00:00Z'))?.date, '2025-11-28');
    // Only Mondays and Wednesdays.
    const monWed = { ...base, days: 'mon,wed' };
    assert.equal(nextSlot(monWed, new Date('2024-07-11T12:00:00Z'))?.date, '2024-07-15');
    // London: 08:00 BST is 07:00 UTC.
    const london = { ...base, time: '08:00', timeZone: 'Europe/London' };
    assert.equal(
      nextSlot(london, new Date('2024-07-11T12:00:00Z'))?.at.toISOString(),
      '2024-07-12T07:00:00.000Z',
    );
  });

  it('posts on time, late within the hour, skips later, and never a slot from before the schedule existed', () => {
    const at = (iso: string, schedule: Schedule = base) => decideSlot(schedule, new Date(iso));
    assert.equal(at('2024-07-12T20:00:00Z').action, 'skip', "before Friday's slot, Thursday's is a day old");
    const onTime = at('2024-07-12T20:15:10Z');
    assert.equal(onTime.action, 'post');
    assert.equal(onTime.lateMs, 10_000);
    assert.equal(at('2024-07-12T21:15:00Z').action, 'post', 'exactly one hour late still posts');
    assert.equal(at('2024-07-12T21:16:00Z').action, 'skip');
    assert.equal(at('2024-07-12T20:16:00Z', { ...base, lastSlot: '2024-07-12' }).action, 'wait');
    assert.equal(
      at('2024-07-12T20:16:00Z', { ...base, createdAt: new Date('2024-07-12T20:15:30Z') }).action,
      'wait',
      'created after the slot',
    );
    assert.equal(at('2024-07-12T20:16:00Z', { ...base, disabledReason: 'gone' }).action, 'wait');
  });

  it('stores schedules per server, claims each slot once, also after reopening the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-schedules-'));
    const file = path.join(dir, 'store.sqlite');
    try {
      let db = openDatabase(file);
      let store = new ScheduleStore(db, file);
      const now = new Date('2024-07-11T12:00:00Z');
      const added = store.add({ ...base, guildId: 'g1' }, now);
      store.add({ ...base, guildId: 'g2', report: 'breadth' }, now);
      assert.deepEqual(
        store.list('g1').map((s) => [s.id, s.report, s.createdAt.toISOString()]),
        [[added.id, 'market', '2024-07-11T12:00:00.000Z']],
      );
      assert.equal(store.claim(added.id, '2024-07-11', 'posting'), true);
      assert.equal(store.claim(added.id, '2024-07-11', 'posting'), false, 'the same slot twice');
      db.close();

      db = openDatabase(file);
      store = new ScheduleStore(db, file);
      assert.equal(store.claim(added.id, '2024-07-11', 'posting'), false, 'the same slot after a restart');
      assert.equal(store.claim(added.id, '2024-07-12', 'posting'), true);
      assert.equal(store.remove('g2', added.id), false, 'another server cannot remove it');
      store.disable(added.id, 'disabled: the channel no longer exists');
      assert.equal(
        store.claim(added.id, '2024-07-15', 'posting'),
        false,
        'a disabled schedule claims nothing',
      );
      assert.deepEqual(
        store.enabled().map((s) => s.guildId),
        ['g2'],
      );
      assert.equal(store.list('g1')[0]?.disabledReason, 'disabled: the channel no longer exists');
      assert.equal(store.remove('g1', added.id), true);
      for (let i = 1; i < MAX_SCHEDULES_PER_SERVER; i++) store.add({ ...base, guildId: 'g2' }, now);
      assert.throws(() => store.add({ ...base, guildId: 'g2' }, now), /already has 25 schedules/);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bot plumbing', () => {
  it('lets only Manage Server (or Administrator) change schedules', () => {
    assert.equal(canManageSchedules(new PermissionsBitField(PermissionFlagsBits.ManageGuild)), true);
    assert.equal(canManageSchedules(new PermissionsBitField(PermissionFlagsBits.Administrator)), true);
    assert.equal(
      canManageSchedules(
        new PermissionsBitField([PermissionFlagsBits.SendMessages, PermissionFlagsBits.ManageMessages]),
      ),
      false,
    );
    assert.equal(canManageSchedules(null), false);
  });

  it('routes direct messages by keyword and says what it understood', () => {
    const route = (text: string) => {
      const intent = routeDirectMessage(text);
      return intent.kind === 'report'
        ? [intent.report, intent.options.universe ?? null, intent.asOf]
        : intent.kind;
    };
    assert.deepEqual(route('how is breadth?'), ['breadth', null, null]);
    assert.deepEqual(route('momentum'), ['momentum', null, null]);
    assert.deepEqual(route('small caps vs nasdaq'), ['rotation', null, null]);
    assert.deepEqual(route('Breadth of the Mag 7 on 2024-07-11'), ['breadth', 'mag7', '2024-07-11']);
    assert.deepEqual(route('how is the market today'), ['market', null, null]);
    assert.deepEqual(route('momentum and breadth'), ['market', null, null], 'a tie gives the brief');
    assert.equal(route('what is the weather'), 'help');
    assert.equal(route('help'), 'help');
    assert.equal(route('🚀🚀🚀'), 'help');
    assert.equal(route('a'.repeat(501)), 'help');
    const understood = routeDirectMessage('sector rotation');
    assert.equal(
      understood.kind === 'report' ? understood.understood : '',
      'I understood: the rotation report.',
    );
  });

  it('round-trips Refresh buttons, keeps long requests in memory, and refuses anything else', () => {
    const buttons = new ReportButtons();
    try {
      const short = { name: 'breadth' as const, options: { universe: 'mag7', top: 3 }, asOf: '2024-07-11' };
      const id = buttons.customId('refresh', short);
      assert.ok(id.length <= 100);
      assert.deepEqual(buttons.request(id), { action: 'refresh', request: short });
      assert.deepEqual(buttons.request(buttons.customId('explain', short)), {
        action: 'explain',
        request: short,
      });
      const long = {
        name: 'momentum' as const,
        options: { universe: 'AAPL,'.repeat(40) + 'MSFT' },
        asOf: null,
      };
      const longId = buttons.customId('refresh', long);
      assert.ok(longId.length <= 100);
      assert.deepEqual(buttons.request(longId), { action: 'refresh', request: long });
      assert.equal(buttons.request('refresh:breadth:#no-such-key'), null);
      assert.equal(buttons.request('refresh:nonsense:e30'), null);
      assert.equal(buttons.request('refresh:breadth:not-base64-json'), null);
      assert.equal(buttons.request('something-else'), null);
    } finally {
      buttons.close();
    }
  });

  it('cools a user down for the configured seconds, each user on their own', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const cooldown = new Cooldown(10, clock.now);
    assert.equal(cooldown.take('a'), 0);
    assert.equal(cooldown.take('b'), 0);
    clock.advanceSeconds(3);
    assert.equal(cooldown.take('a'), 7);
    clock.advanceSeconds(7);
    assert.equal(cooldown.take('a'), 0);
    assert.equal(new Cooldown(0, clock.now).take('a'), 0);
  });

  it('budgets LLM calls per user and per server each New York day', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const budget = new LlmBudget({ perUser: 2, perServer: 3 }, clock.now);
    assert.deepEqual(
      [budget.take('a', 's'), budget.take('a', 's'), budget.take('a', 's')],
      [true, true, false],
      'the user has two',
    );
    assert.deepEqual([budget.take('b', 's'), budget.take('b', 's')], [true, false], 'the server has three');
    assert.equal(budget.take('b', null), true, 'in DMs only the user counts');
    clock.set('2024-07-12T03:59:00Z'); // 23:59 in New York: still the same day
    assert.equal(budget.take('c', 's'), false);
    clock.set('2024-07-12T04:01:00Z');
    assert.equal(budget.take('a', 's'), true, 'a new day in New York');
  });

  it('maps errors to one line with a reference, and hashes user ids', () => {
    const expected = userFacingError(new TapewatchError('bad_input', 'Option `top`: too big.'), 'abcd1234');
    assert.equal(expected.message, 'Option `top`: too big. (ref abcd1234)');
    assert.equal(expected.expected, true);
    const bug = userFacingError(
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'abcd1234',
    );
    assert.equal(
      bug.message,
      'Something went wrong on my side; please try again in a minute (ref abcd1234).',
    );
    assert.equal(bug.expected, false);
    assert.match(bug.detail, /Cannot read properties/);
    assert.match(hashUserId('555555555555555555'), /^[0-9a-f]{12}$/);
    assert.notEqual(hashUserId('1'), hashUserId('2'));
  });

  it('defines slash commands Discord accepts: names, option names and descriptions within limits', () => {
    const commands = slashCommandDefinitions();
    assert.deepEqual(
      commands.map((c) => c.name),
      ['momentum', 'breadth', 'rotation', 'market', 'schedule', 'ask', 'help'],
    );
    const check = (option: { name: string; description: string; options?: unknown[] }) => {
      assert.match(option.name, /^[-_a-z0-9]{1,32}$/);
      assert.ok(option.description.length >= 1 && option.description.length <= 100, option.name);
      for (const child of (option.options ?? []) as (typeof option)[]) check(child);
    };
    for (const command of commands) check(command as Parameters<typeof check>[0]);
    const schedule = commands.find((c) => c.name === 'schedule');
    assert.equal(schedule?.default_member_permissions, String(PermissionFlagsBits.ManageGuild));
  });

  it('reads the Discord settings, with a clear message for each bad one and the token never echoed', () => {
    const config = parseConfig({ DISCORD_TOKEN: 'secret', DISCORD_API_URL: 'http://127.0.0.1:9/api/' });
    assert.equal(config.discord.apiUrl, 'http://127.0.0.1:9/api');
    assert.equal(config.discord.cooldownSeconds, 10);
    assert.equal(parseConfig({}).discord.apiUrl, 'https://discord.com/api');
    assert.equal(parseConfig({}).discord.token, null);
    assert.throws(
      () => parseConfig({ DISCORD_API_URL: 'ftp://x', DISCORD_GUILD_ID: '12', BOT_COOLDOWN_SECONDS: '-1' }),
      (e: unknown) =>
        e instanceof TapewatchError &&
        /DISCORD_API_URL="ftp:\/\/x"/.test(e.message) &&
        /DISCORD_GUILD_ID="12"/.test(e.message) &&
        /BOT_COOLDOWN_SECONDS/.test(e.message),
    );
  });
});
