import { prepare, REPORTS, type PreparedRequest, type RequestName } from '../../commands/index.ts';
import type { ReportContext } from '../../src/reports/context.ts';
import type { RequestPolicy } from '../../src/reports/module.ts';
import type { Report, ReportCommand } from '../../src/reports/types.ts';

/** A terminal user's policy: files and folders allowed as universes, no home folder of saved lists. */
export function testPolicy(today = '2026-12-31'): RequestPolicy {
  return {
    today,
    universes: { homeDir: '/nonexistent-tapewatch-home', cwd: process.cwd() },
    optionLabel: (name) => `--${name}`,
  };
}

/** One report through the request path every surface uses: options checked, universe resolved, built. */
export async function buildReport(
  context: ReportContext,
  name: ReportCommand,
  raw: Readonly<Record<string, unknown>> = {},
): Promise<Report> {
  return REPORTS[name].prepare(raw, testPolicy(context.endDate)).build(context);
}

export function prepared(
  name: RequestName,
  raw: Readonly<Record<string, unknown>> = {},
  asOf: string | null = null,
): PreparedRequest {
  return prepare(name, raw, asOf, testPolicy());
}
