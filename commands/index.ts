import type { z } from 'zod';
import type { ReportContext } from '../src/report/context.ts';
import type { Report, ReportCommand } from '../src/report/types.ts';
import { breadthOptionsSchema, buildBreadthReport } from './breadth.ts';
import { buildMomentumReport, momentumOptionsSchema } from './momentum.ts';
import { buildRotationReport, rotationOptionsSchema } from './rotation.ts';

/** A report command: its options schema and the function that builds the report from parsed options. */
export interface ReportModule<Schema extends z.ZodType = z.ZodType> {
  readonly name: ReportCommand;
  readonly description: string;
  readonly options: Schema;
  /** The metric ids that answer the report's question at a glance, for short surfaces (Discord, briefs). */
  readonly headline: readonly string[];
  readonly build: (context: ReportContext, options: z.output<Schema>) => Promise<Report>;
}

function defineReport<Schema extends z.ZodType>(module: ReportModule<Schema>): ReportModule<Schema> {
  return module;
}

export const REPORT_MODULES = {
  momentum: defineReport({
    name: 'momentum',
    description: 'the long-short momentum factor: returns, crashes and what followed them, legs and crowding',
    options: momentumOptionsSchema,
    headline: [
      'ls_return_1d',
      'ls_return_1d_z',
      'ls_return_5d',
      'ls_return_21d',
      'ls_return_ytd',
      'ls_drawdown',
      'long_leg_return_1d',
      'short_leg_return_1d',
      'long_leg_crowding_63d',
    ],
    build: buildMomentumReport,
  }),
  breadth: defineReport({
    name: 'breadth',
    description:
      'participation under the index: moving averages, advance-decline, highs and lows, concentration',
    options: breadthOptionsSchema,
    headline: [
      'pct_above_50d',
      'pct_above_200d',
      'net_advances',
      'pct_outperforming_index_1d',
      'mcclellan',
      'new_highs',
      'new_lows',
      'equal_vs_cap_ytd',
      'top_weight',
    ],
    build: buildBreadthReport,
  }),
  rotation: defineReport({
    name: 'rotation',
    description: 'sector rotation graph, size and style pairs, and rare one-day splits',
    options: rotationOptionsSchema,
    headline: [
      'iwm_spy_1d',
      'iwm_spy_21d',
      'iwm_qqq_21d',
      'rsp_spy_21d',
      'iwd_iwf_21d',
      'cyclicals_defensives_21d',
      'sectors_leading',
      'sectors_improving',
      'sectors_lagging',
    ],
    build: buildRotationReport,
  }),
} as const;
