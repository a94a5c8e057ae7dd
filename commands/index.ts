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
    build: buildMomentumReport,
  }),
  breadth: defineReport({
    name: 'breadth',
    description:
      'participation under the index: moving averages, advance-decline, highs and lows, concentration',
    options: breadthOptionsSchema,
    build: buildBreadthReport,
  }),
  rotation: defineReport({
    name: 'rotation',
    description: 'sector rotation graph, size and style pairs, and rare one-day splits',
    options: rotationOptionsSchema,
    build: buildRotationReport,
  }),
} as const;
