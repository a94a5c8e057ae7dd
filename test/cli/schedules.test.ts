import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ScheduleStore } from '../../src/schedules.ts';
import { openUserDatabase } from '../../src/store/user-database.ts';
import { cli } from '../helpers/cli.ts';

const newHome = () => mkdtempSync(path.join(tmpdir(), 'tapewatch-schedules-cli-'));
const at = (home: string) => ({ env: { TAPEWATCH_HOME: home }, cwd: home });

/** A home whose user database holds two servers' schedules, one disabled, one with a slot posted. */
function homeWithSchedules(): string {
  const home = newHome();
  const file = path.join(home, 'tapewatch.sqlite');
  const { db } = openUserDatabase(file, null);
  const store = new ScheduleStore(db, file);
  const made = new Date('2026-11-02T15:00:00Z');
  const base = { channelId: '200', time: '16:15', days: 'weekdays', timeZone: 'America/New_York' };
  // createdBy as the bot stores it: a hash of the member's id, not the id.
  const first = store.add({ ...base, guildId: '100', report: 'breadth', createdBy: '9f86d081884c' }, made);
  store.claim(first.id, '2026-11-20', 'posted', made);
  const second = store.add(
    { ...base, guildId: '101', report: 'market', time: '09:00', days: 'mon,fri', createdBy: '301' },
    made,
  );
  store.disable(second.id, 'disabled: the channel no longer exists');
  db.close();
  return home;
}

function schedulesIn(home: string) {
  const file = path.join(home, 'tapewatch.sqlite');
  const { db } = openUserDatabase(file, null);
  const store = new ScheduleStore(db, file);
  const all = [...store.list('100'), ...store.list('101')];
  db.close();
  return all.map((s) => [s.guildId, s.report, s.time, s.days, s.lastSlot, s.disabledReason]);
}

describe('tapewatch schedules export | import', () => {
  it('moves every schedule to another home, last posted slot and disabled state included, and never twice', async () => {
    const from = homeWithSchedules();
    const exported = await cli(['schedules', 'export'], at(from));
    assert.equal(exported.code, 0, exported.err);
    const backup = JSON.parse(exported.out) as { format: string; schedules: unknown[] };
    assert.equal(backup.format, 'tapewatch-schedules');
    assert.equal(backup.schedules.length, 2);
    const to = newHome();
    const file = path.join(to, 'backup.json');
    writeFileSync(file, exported.out);
    const imported = await cli(['schedules', 'import', 'backup.json'], at(to));
    assert.equal(imported.code, 0, imported.err);
    assert.equal(
      imported.out,
      `Imported 2 schedules for 2 servers into ${path.join(to, 'tapewatch.sqlite')}.\n`,
    );
    const expected = [
      ['100', 'breadth', '16:15', 'weekdays', '2026-11-20', null],
      ['101', 'market', '09:00', 'mon,fri', null, 'disabled: the channel no longer exists'],
    ];
    assert.deepEqual(schedulesIn(to), expected);
    const again = await cli(['schedules', 'import', 'backup.json'], at(to));
    assert.match(again.out, /^Imported 0 schedules for 2 servers into .* \(2 already there\)\.\n$/);
    assert.deepEqual(schedulesIn(to), expected, 'the same file twice adds nothing');
  });

  it('refuses a file that is not a backup, in one line, exit 2, adding nothing', async () => {
    const home = newHome();
    const write = (name: string, text: string) => {
      writeFileSync(path.join(home, name), text);
      return name;
    };
    const entry = {
      guildId: '1',
      channelId: '2',
      report: 'breadth',
      time: '16:15',
      days: 'weekdays',
      timeZone: 'America/New_York',
      createdBy: '3',
      createdAt: '2026-01-01T00:00:00.000Z',
      lastSlot: null,
      disabledReason: null,
    };
    const backup = (schedules: unknown[]) =>
      JSON.stringify({ format: 'tapewatch-schedules', version: 1, exportedAt: entry.createdAt, schedules });
    const cases: [file: string, pattern: RegExp][] = [
      [write('text.json', 'hello'), /^tapewatch: "text\.json" is not JSON\.$/],
      [
        write('other.json', '{"format":"something else"}'),
        /^tapewatch: "other\.json" is not a schedules backup from tapewatch schedules export \(format: must be "tapewatch-schedules"\)\.$/,
      ],
      [
        write('typed.json', backup([{ ...entry, guildId: 12 }])),
        /^tapewatch: "typed\.json" is not a schedules backup .* \(schedules\.0\.guildId: expected a string\)\.$/,
      ],
      [
        write('weekend.json', backup([entry, { ...entry, days: 'sat' }])),
        /^tapewatch: Schedule 2 in the file: markets are closed on sat; use weekdays or mon\.\.fri\.$/,
      ],
      [
        write(
          'crowded.json',
          backup(Array.from({ length: 26 }, (_, i) => ({ ...entry, channelId: String(100 + i) }))),
        ),
        /^tapewatch: Importing would give server 1 26 schedules, over its limit of 25; nothing was imported\.$/,
      ],
      ['missing.json', /^tapewatch: Cannot read "missing\.json"\.$/],
    ];
    for (const [file, pattern] of cases) {
      const outcome = await cli(['schedules', 'import', file], at(home));
      assert.equal(outcome.code, 2, file);
      assert.match(outcome.err.trimEnd(), pattern);
      assert.equal(outcome.err.trimEnd().split('\n').length, 1);
    }
    assert.deepEqual(schedulesIn(home), [], 'not even the valid first schedule of a refused file');
  });
});
