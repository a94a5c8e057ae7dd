import { readFileSync } from 'node:fs';
import { sharedPath } from './shared-data.ts';

/** A published reference series from ../shared/data/reference, by date, optionally rescaled. */
export function referenceSeries(file: string, scale = 1): Map<string, number> {
  const lines = readFileSync(sharedPath('reference', file), 'utf8').trim().split('\n').slice(1);
  return new Map(
    lines.map((line) => {
      const [date = '', value = ''] = line.split(',');
      return [date, Number(value) * scale];
    }),
  );
}

/** Our series and a reference on the dates both have a value for. */
export function paired(
  dates: readonly string[],
  ours: ArrayLike<number>,
  reference: Map<string, number>,
): [number[], number[]] {
  const x: number[] = [];
  const y: number[] = [];
  dates.forEach((date, t) => {
    const value = ours[t] ?? Number.NaN;
    const published = reference.get(date);
    if (!Number.isNaN(value) && published !== undefined && !Number.isNaN(published)) {
      x.push(value);
      y.push(published);
    }
  });
  return [x, y];
}
