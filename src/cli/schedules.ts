import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { TapewatchError } from '../errors.ts';
import { scheduleBackupSchema, ScheduleStore } from '../schedules.ts';
import { openUserDatabase } from '../store/user-database.ts';
import type { CliContext } from './context.ts';

/** A backup of 25 schedules for each of thousands of servers is a few MB; more is not a backup. */
const MAX_BACKUP_BYTES = 50 * 1024 * 1024;

function withSchedules<T>(context: CliContext, work: (store: ScheduleStore) => T): T {
  const { config } = context;
  const { db } = openUserDatabase(config.userDbPath, config.storePath);
  try {
    return work(new ScheduleStore(db, config.userDbPath));
  } finally {
    db.close();
  }
}

/** `tapewatch schedules export`: every server's schedules as JSON on stdout, for a backup or a move. */
export function runSchedulesExport(context: CliContext): void {
  const backup = withSchedules(context, (store) => store.exportAll(context.io.now()));
  context.io.stdout(`${JSON.stringify(backup, null, 2)}\n`);
}

/** `tapewatch schedules import FILE`: adds a backup's schedules, all or none, never twice. */
export function runSchedulesImport(context: CliContext, file: string): void {
  const full = path.resolve(context.io.cwd, file);
  const backup = scheduleBackupSchema.safeParse(readBackup(full, file));
  if (!backup.success) {
    throw new TapewatchError(
      'bad_input',
      `"${file}" is not a schedules backup from tapewatch schedules export (${describeIssue(backup.error.issues[0])}).`,
    );
  }
  const { added, alreadyThere } = withSchedules(context, (store) => store.importAll(backup.data));
  const servers = new Set(backup.data.schedules.map((s) => s.guildId)).size;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  context.io.stdout(
    `Imported ${plural(added, 'schedule')} for ${plural(servers, 'server')} into ${context.config.userDbPath}` +
      (alreadyThere > 0 ? ` (${alreadyThere} already there).\n` : '.\n'),
  );
}

/** The file at `full`, named in messages as the user wrote it (`shown`). */
function readBackup(full: string, shown: string): unknown {
  let text: string;
  try {
    const found = statSync(full);
    if (!found.isFile()) throw new TapewatchError('bad_input', `"${shown}" is not a regular file.`);
    if (found.size > MAX_BACKUP_BYTES) {
      throw new TapewatchError('bad_input', `"${shown}" is too large for a schedules backup.`);
    }
    text = readFileSync(full, 'utf8');
  } catch (error) {
    if (error instanceof TapewatchError) throw error;
    throw new TapewatchError('bad_input', `Cannot read "${shown}".`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TapewatchError('bad_input', `"${shown}" is not JSON.`, { cause: error });
  }
}

/** The first problem, in our words: where it is and what was expected there. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'it is not valid';
  const where = issue.path.length === 0 ? 'the file' : issue.path.join('.');
  switch (issue.code) {
    case 'invalid_type':
      return `${where}: expected ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
    case 'unrecognized_keys':
      return `${where}: unknown field ${issue.keys[0] ?? ''}`;
    case 'invalid_value':
      return `${where}: must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    default:
      return `${where}: ${issue.code === 'custom' || issue.code === 'invalid_format' ? 'not valid' : issue.message}`;
  }
}
