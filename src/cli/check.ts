import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { SymbolDataError, TapewatchError } from '../errors.ts';
import { exchangeDateOf } from '../market/calendar.ts';
import { parseYahooCsv } from '../market/csv.ts';
import { gateBars } from '../market/quality.ts';
import { listCsvSymbols } from '../universes/price-files.ts';
import type { CliContext } from './context.ts';

/**
 * `tapewatch check --data-dir DIR`: the data-quality gate's findings for every price file in the
 * folders, as reports would meet them. A file reports would leave out makes the exit code 1 (after
 * the findings), so a script that refreshes a folder can stop on it.
 */
export type Outcome = 'left_out' | 'corrected' | 'note';

export interface Finding {
  readonly file: string;
  readonly outcome: Outcome;
  readonly message: string;
}

export interface FolderCheck {
  readonly folder: string;
  readonly files: number;
  readonly rows: number;
  readonly findings: readonly Finding[];
}

const READ_CONCURRENCY = 8;

export async function checkFolder(
  folder: string,
  gate: { readonly badTickFactor: number; readonly today: string },
): Promise<FolderCheck> {
  const files = listCsvSymbols(folder);
  const limit = pLimit(READ_CONCURRENCY);
  let rows = 0;
  const perFile = await Promise.all(
    [...files].map(([symbol, file]) =>
      limit(async (): Promise<Finding[]> => {
        const name = path.basename(file);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch {
          return [{ file: name, outcome: 'left_out', message: `cannot be read` }];
        }
        let parsed;
        try {
          parsed = parseYahooCsv(symbol, text, file);
        } catch (error) {
          if (!(error instanceof SymbolDataError)) throw error;
          return [{ file: name, outcome: 'left_out', message: error.message }];
        }
        rows += parsed.bars.dates.length;
        const findings: Finding[] = [];
        if (parsed.duplicateRows > 0) {
          findings.push({
            file: name,
            outcome: 'corrected',
            message: `${parsed.duplicateRows} repeated row${parsed.duplicateRows === 1 ? '' : 's'} dropped`,
          });
        }
        if (parsed.skippedNullRows > 0) {
          findings.push({
            file: name,
            outcome: 'note',
            message: `${parsed.skippedNullRows} all-"null" row${parsed.skippedNullRows === 1 ? '' : 's'} (days without a trade) skipped`,
          });
        }
        const checked = gateBars(parsed.bars, { badTickFactor: gate.badTickFactor, notAfter: gate.today });
        if (!checked.ok) {
          findings.push({ file: name, outcome: 'left_out', message: withLine(checked.reason, text) });
        } else {
          for (const note of checked.notes) {
            findings.push({ file: name, outcome: 'corrected', message: withLine(note, text) });
          }
        }
        return findings;
      }),
    ),
  );
  return { folder, files: files.size, rows, findings: perFile.flat() };
}

/** The line of the first date a finding names, so the row can be found in the file. */
function withLine(message: string, text: string): string {
  const date = /\d{4}-\d{2}-\d{2}/.exec(message)?.[0];
  if (date === undefined) return message;
  const at = text.indexOf(`\n${date},`);
  if (at < 0) return message;
  // The row starts after the newline at `at`: its line is one more than the newlines up to there.
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i <= at; i = text.indexOf('\n', i + 1)) line++;
  return `line ${line}: ${message}`;
}

const OUTCOME_WORDS: Record<Outcome, string> = {
  left_out: 'left out',
  corrected: 'put right',
  note: 'note',
};

export async function runCheck(context: CliContext): Promise<void> {
  const folders = context.options.dataDir;
  if (folders.length === 0) {
    throw new TapewatchError('bad_input', 'check needs the folders to check: --data-dir DIR (repeatable).');
  }
  const gate = {
    badTickFactor: context.config.badTickFactor,
    today: exchangeDateOf(context.io.now()),
  };
  const checks: FolderCheck[] = [];
  for (const folder of folders) checks.push(await checkFolder(folder, gate));
  const leftOut = checks.reduce(
    (sum, check) =>
      sum + new Set(check.findings.filter((f) => f.outcome === 'left_out').map((f) => f.file)).size,
    0,
  );
  if (context.options.format === 'json') {
    context.io.stdout(`${JSON.stringify({ command: 'check', folders: checks, leftOut }, null, 2)}\n`);
  } else {
    context.io.stdout(renderChecks(checks, context.options.format === 'md'));
  }
  if (leftOut > 0) {
    throw new TapewatchError(
      'data_file',
      `${leftOut} price file${leftOut === 1 ? '' : 's'} would be left out of reports (see above).`,
    );
  }
}

function renderChecks(checks: readonly FolderCheck[], md: boolean): string {
  const lines: string[] = [];
  for (const check of checks) {
    const byOutcome = (outcome: Outcome) =>
      new Set(check.findings.filter((f) => f.outcome === outcome).map((f) => f.file)).size;
    const touched = new Set(check.findings.filter((f) => f.outcome !== 'note').map((f) => f.file)).size;
    lines.push(
      `${md ? '## ' : ''}${check.folder}: ${check.files} files, ${check.rows.toLocaleString('en-US')} rows`,
      '',
    );
    for (const finding of check.findings) {
      lines.push(
        `${md ? '- ' : '  '}${finding.file} (${OUTCOME_WORDS[finding.outcome]}): ${finding.message}`,
      );
    }
    if (check.findings.length > 0) lines.push('');
    lines.push(
      `${byOutcome('left_out')} left out of reports, ${byOutcome('corrected')} put right, ${check.files - touched} clean.`,
      '',
    );
  }
  return lines.join('\n');
}
