import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { buildReport } from '../helpers/reports.ts';
import { runCli } from '../../src/cli/program.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { DemoMarketData } from '../../src/market/demo.ts';
import type { MarketData } from '../../src/market/types.ts';
import type { ReportContext } from '../../src/reports/context.ts';
import type { Report } from '../../src/reports/types.ts';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  PALETTE,
  chartSpec,
  renderChartPng,
  renderDashboardPng,
  type ChartSpec,
} from '../../src/render/chart.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG signature');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function pixels(png: Buffer): Promise<Uint8ClampedArray> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return context.getImageData(0, 0, image.width, image.height).data;
}

/** Share of pixels whose colour differs by more than 48 in any channel. */
async function pixelDifference(a: Buffer, b: Buffer): Promise<number> {
  const [pa, pb] = await Promise.all([pixels(a), pixels(b)]);
  assert.equal(pa.length, pb.length, 'same size');
  let differing = 0;
  for (let i = 0; i < pa.length; i += 4) {
    const channel = (k: number) => Math.abs((pa[i + k] ?? 0) - (pb[i + k] ?? 0)) > 48;
    if (channel(0) || channel(1) || channel(2)) differing++;
  }
  return differing / (pa.length / 4);
}

/**
 * Reference images of the demo market's charts (looked at when made), kept to catch rendering
 * regressions. After an intended change, regenerate them with UPDATE_CHART_REFERENCES=1 and look again.
 */
const REFERENCE_DIR = path.join(import.meta.dirname, 'charts');
const REFERENCE_TOLERANCE = 0.02;

/** How much of the picture is drawn (not background white) and how many colours it uses. */
async function inkStats(png: Buffer): Promise<{ inked: number; colours: number }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  let inked = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    const [r = 0, g = 0, b = 0] = [data[i], data[i + 1], data[i + 2]];
    if (r < 245 || g < 245 || b < 245) inked++;
    if (i % 64 === 0) colours.add((r << 16) | (g << 8) | b);
  }
  return { inked: inked / (data.length / 4), colours: colours.size };
}

async function reportsFrom(marketData: MarketData, endDate: string): Promise<Report[]> {
  const context: ReportContext = { marketData, endDate };
  return Promise.all([
    ...(['rotation', 'breadth', 'momentum'] as const).map((name) => buildReport(context, name)),
    buildReport(context, 'quote', { universe: 'sectors' }),
    buildReport(context, 'chart', { symbol: 'QQQ' }),
  ]);
}

/** The chart.js title, subtitle, dataset labels and plugin ids of a spec: what drawing reads. */
function drawn(spec: ChartSpec) {
  const plugins = spec.config.options?.plugins;
  return {
    title: String(plugins?.title?.text ?? ''),
    subtitle: String(plugins?.subtitle?.text ?? ''),
    datasets: spec.config.data.datasets.map((d) => d.label ?? ''),
    pluginIds: (spec.config.plugins ?? []).map((p) => p.id),
  };
}

async function checkCharts(reports: readonly Report[], demo: boolean): Promise<void> {
  for (const report of reports) {
    const spec = chartSpec(report);
    const { title, subtitle, datasets, pluginIds } = drawn(spec);
    assert.equal(subtitle, `As of the close of ${report.asOf} · ${report.source.label}`);
    assert.equal(spec.watermark, demo ? 'DEMO DATA' : null);
    const png = await renderChartPng(spec);
    assert.deepEqual(pngSize(png), { width: CHART_WIDTH, height: CHART_HEIGHT });
    const stats = await inkStats(png);
    assert.ok(stats.inked > 0.05, `${report.command}: only ${(stats.inked * 100).toFixed(1)}% drawn`);
    assert.ok(stats.colours > 20, `${report.command}: ${stats.colours} colours`);
    if (report.command === 'rotation') {
      assert.equal(spec.kind, 'rrg');
      assert.match(title, /^Relative rotation of the sectors against SPY/);
      // Quadrant names and sector labels are drawn on the plot by these two plugins.
      assert.deepEqual(pluginIds, ['quadrants', 'pointLabels']);
      for (const sector of ['XLK', 'XLF', 'XLE', 'XLU']) assert.ok(datasets.includes(sector), sector);
    }
    if (report.command === 'breadth') {
      assert.match(title, /^Breadth of /);
      assert.deepEqual(datasets, ['SPY', '% above 50-day', '% above 200-day', 'McClellan oscillator']);
    }
    if (report.command === 'quote') {
      assert.equal(title, 'Quotes: sectors');
      assert.deepEqual(datasets, ['Day %', 'vs 200-day %']);
      assert.deepEqual(
        spec.config.data.labels,
        report.tables[0]?.rows.map((row) => row[0]),
      );
      // A bar's colour says its sign: green up, vermillion down.
      const day = spec.config.data.datasets[0];
      const colours = day?.backgroundColor as string[];
      (day?.data as (number | null)[]).forEach((value, i) => {
        assert.equal(colours[i], (value ?? 0) >= 0 ? PALETTE[2] : PALETTE[3]);
      });
    }
    if (report.command === 'chart') {
      assert.equal(title, 'QQQ: 12 months against SPY');
      assert.deepEqual(datasets, ['QQQ', '50-day average', '200-day average', 'Relative to SPY', 'Volume']);
    }
    if (report.command === 'momentum') {
      assert.match(title, /^Momentum: long-short factor on /);
      assert.deepEqual(datasets, ['Long-short', 'Days beyond 3σ', 'Long leg', 'Short leg', 'Drawdown']);
      // Marked days are exactly the days of the report's z-series at or beyond 3σ.
      const z = report.series.find((s) => s.id === 'momentum.z');
      assert.ok(z);
      const extreme = z.values.filter((v) => v !== null && Math.abs(v) >= 3).length;
      const marked = spec.config.data.datasets.find((d) => d.label === 'Days beyond 3σ');
      assert.ok(marked);
      assert.equal((marked.data as (number | null)[]).filter((v) => v !== null).length, extreme);
    }
  }
}

describe('charts', { timeout: 60_000 }, () => {
  let demoReports: Report[] = [];
  before(async () => {
    demoReports = await reportsFrom(
      new DemoMarketData(20240711, () => new Date('2024-07-11T22:00:00Z')),
      '2024-07-11',
    );
  });

  it('draws each report of the demo market at 1200×675, not blank, titled, with the DEMO DATA watermark', async () => {
    await checkCharts(demoReports, true);
  });

  it(
    'draws each report of real history (ETFs and S&P 500 members to 2021-06-30)',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    async () => {
      const csv = new CsvMarketData([sharedPath('prices', 'etf'), sharedPath('prices', 'sp500')]);
      await checkCharts(await reportsFrom(csv, '2021-06-30'), false);
    },
  );

  it('draws the market dashboard of all three at 1200×675', async () => {
    const png = await renderDashboardPng(
      demoReports.filter((r) => r.command !== 'quote' && r.command !== 'chart'),
    );
    assert.deepEqual(pngSize(png), { width: CHART_WIDTH, height: CHART_HEIGHT });
    const stats = await inkStats(png);
    assert.ok(stats.inked > 0.1 && stats.colours > 20);
  });

  it('matches the reference images within 2% of pixels', async () => {
    for (const report of demoReports) {
      const file = path.join(REFERENCE_DIR, `demo-${report.command}.png`);
      const png = await renderChartPng(chartSpec(report));
      if (process.env.UPDATE_CHART_REFERENCES === '1') {
        mkdirSync(REFERENCE_DIR, { recursive: true });
        writeFileSync(file, png);
      }
      assert.ok(
        existsSync(file),
        `no reference ${file}: make it with UPDATE_CHART_REFERENCES=1 and look at it`,
      );
      const difference = await pixelDifference(png, readFileSync(file));
      assert.ok(
        difference <= REFERENCE_TOLERANCE,
        `${report.command}: ${(difference * 100).toFixed(2)}% of pixels differ`,
      );
    }
  });

  it('notices a real change: a chart without its tails differs from the reference', async () => {
    const rotation = demoReports.find((r) => r.command === 'rotation');
    assert.ok(rotation);
    const spec = chartSpec(rotation);
    const bare = { ...spec, config: { ...spec.config, data: { datasets: [] } } };
    const difference = await pixelDifference(
      await renderChartPng(bare),
      readFileSync(path.join(REFERENCE_DIR, 'demo-rotation.png')),
    );
    assert.ok(difference > REFERENCE_TOLERANCE, `only ${(difference * 100).toFixed(2)}% differ`);
  });

  it('marks the tails of the rotation graph from the report series, latest point last', () => {
    const rotation = demoReports.find((r) => r.command === 'rotation');
    assert.ok(rotation);
    const spec = chartSpec(rotation);
    const xlk = spec.config.data.datasets.find((d) => d.label === 'XLK');
    assert.ok(xlk);
    const ratio = rotation.series.find((s) => s.id === 'rotation.rs_ratio:XLK');
    const latest = (xlk.data as { x: number }[]).at(-1);
    assert.equal(latest?.x, ratio?.values.at(-1));
  });

  it('writes the chart of a CLI report with --chart, and names an unwritable path in one line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-chart-'));
    try {
      const run = async (args: string[]) => {
        let err = '';
        const code = await runCli(args, {
          env: { TAPEWATCH_HOME: dir },
          cwd: dir,
          stdout: () => undefined,
          stderr: (text) => (err += text),
          stderrIsTty: false,
          now: () => new Date('2024-07-11T22:00:00Z'),
          fetch: () => Promise.reject(new TypeError('no network in tests')),
        });
        return { code, err };
      };
      assert.equal((await run(['rotation', '--source', 'demo', '--chart', 'rrg.png'])).code, 0);
      assert.deepEqual(pngSize(readFileSync(path.join(dir, 'rrg.png'))), {
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
      });
      const bad = await run(['rotation', '--source', 'demo', '--chart', 'missing/dir/rrg.png']);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /^tapewatch: --chart: cannot write "missing\/dir\/rrg.png" \(ENOENT/);
      assert.equal(bad.err.trim().split('\n').length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
