import { readFileSync } from 'node:fs';

/** A Yahoo-layout CSV read here, apart from the source under test: rows up to `to`, oldest first. */
export function csvRows(file: string, to: string) {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter(([date]) => (date ?? '') <= to)
    .map(([date, , , , close, adj, volume]) => ({
      date: date ?? '',
      close: Number(close),
      adj: Number(adj),
      volume: Number(volume),
    }));
}
