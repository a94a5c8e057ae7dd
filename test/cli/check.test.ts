import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli } from '../helpers/cli.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

describe('tapewatch check', () => {
  const HEADER = 'Date,Open,High,Low,Close,Adj Close,Volume';
  function folder(files: Record<string, string[]>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-check-'));
    for (const [name, rows] of Object.entries(files)) {
      writeFileSync(path.join(dir, name), [HEADER, ...rows].join('\n'));
    }
    return dir;
  }

  it("prints the gate's findings per file, with file and line, and exits 1 when a file is left out", async () => {
    const dir = folder({
      'AAA.csv': ['2024-03-04,10,12,9,11,11,100', '2024-03-05,10,12,9,11,11,100'],
      'BBB.csv': ['2024-03-04,10,12,9,11,11,100', '2024-03-04,10,12,9,11.5,11.5,100'],
      'CCC.csv': [
        '2024-03-04,10,12,9,11,11,100',
        '2024-03-05,13,12,9,11,11,100',
        '2024-03-05,13,12,9,11,11,100',
      ],
    });
    const { code, out, err } = await cli(['check', '--data-dir', dir]);
    assert.equal(code, 1);
    assert.match(
      out,
      new RegExp(`BBB.csv \\(left out\\): .*BBB.csv:3: a second, different row for 2024-03-04`),
    );
    assert.match(out, /CCC.csv \(put right\): 1 repeated row dropped/);
    assert.match(out, /CCC.csv \(put right\): line 3: CCC: 1 day, 2024-03-05 \(open 13, high 12/);
    assert.match(out, /1 left out of reports, 1 put right, 1 clean\./);
    assert.equal(err, 'tapewatch: 1 price file would be left out of reports (see above).\n');
  });

  it('exits 0 on a clean folder, and 2 without a folder to check', async () => {
    const dir = folder({ 'AAA.csv': ['2024-03-04,10,12,9,11,11,100'] });
    const clean = await cli(['check', '--data-dir', dir, '--format', 'json']);
    assert.equal(clean.code, 0);
    assert.deepEqual(JSON.parse(clean.out), {
      command: 'check',
      folders: [{ folder: dir, files: 1, rows: 1, findings: [] }],
      leftOut: 0,
    });
    const none = await cli(['check']);
    assert.equal(none.code, 2);
    assert.match(none.err, /check needs the folders to check: --data-dir DIR/);
  });

  it(
    "finds in the real Nasdaq folder exactly PCLN left out and TEVA's last day put right",
    { skip: SKIP_WITHOUT_SHARED_DATA },
    async () => {
      const { code, out } = await cli([
        'check',
        '--data-dir',
        sharedPath('prices', 'nasdaq100'),
        '--format',
        'json',
      ]);
      assert.equal(code, 1);
      const [report] = (
        JSON.parse(out) as { folders: { files: number; findings: { file: string; outcome: string }[] }[] }
      ).folders;
      assert.ok(report);
      assert.equal(report.files, 40);
      assert.deepEqual(
        report.findings.map((f) => `${f.file} ${f.outcome}`),
        ['PCLN.csv left_out', 'TEVA.csv corrected'],
      );
    },
  );
});
