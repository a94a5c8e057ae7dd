import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import {
  Chart,
  registerables,
  type ChartConfiguration,
  type ChartDataset,
  type Plugin,
  type ScatterDataPoint,
} from 'chart.js';
import { cumulativeGrowth } from '../indicators/rolling.ts';
import { asOfLine, formatCompact } from '../reports/format.ts';
import { finite, type Report, type ReportSeries } from '../reports/types.ts';

/**
 * Charts are drawn server-side by chart.js on @napi-rs/canvas: both install from npm alone (the
 * canvas ships prebuilt Skia binaries per platform), need no browser, no network and no system
 * libraries beyond a font, and draw a 1200×675 chart in tens of milliseconds.
 */
Chart.register(...registerables);

export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 675;
const FONT = 'DejaVu Sans, Arial, sans-serif';
/** Okabe–Ito: distinguishable with every common colour-vision deficiency. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
];
const INK = '#1f2328';
const GRID = 'rgba(31, 35, 40, 0.12)';
/** A light card reads the same in Discord's dark and light themes. */
const BACKGROUND = '#ffffff';

export type ChartKind = 'rrg' | 'breadth' | 'momentum' | 'quote' | 'price';

/** What a chart shows, as data: the chart.js configuration that is drawn, and the watermark over it. */
export interface ChartSpec {
  readonly kind: ChartKind;
  /** Drawn across the chart for synthetic data. */
  readonly watermark: string | null;
  readonly config: ChartConfiguration;
}

function seriesById(report: Report, id: string): ReportSeries | undefined {
  return report.series.find((s) => s.id === id);
}

function axisTitle(text: string) {
  return { display: true, text, color: INK, font: { family: FONT, size: 14 } };
}

function ticks() {
  return { color: INK, font: { family: FONT, size: 13 } };
}

/**
 * chart.js types its context with the DOM's CanvasRenderingContext2D, which a Node project does not
 * load; the canvas's own context implements the same API under its own type.
 */
function drawingContext(chart: Chart): SKRSContext2D {
  return (chart as unknown as { ctx: SKRSContext2D }).ctx;
}

const QUADRANT_NAMES = ['Leading', 'Weakening', 'Lagging', 'Improving'] as const;
const QUADRANT_FILL = {
  Leading: 'rgba(0, 158, 115, 0.10)',
  Weakening: 'rgba(230, 159, 0, 0.12)',
  Lagging: 'rgba(213, 94, 0, 0.10)',
  Improving: 'rgba(0, 114, 178, 0.10)',
} as const;

/** The four quadrants around (100, 100), shaded and named in their corners. */
const quadrantPlugin: Plugin<'scatter'> = {
  id: 'quadrants',
  beforeDatasetsDraw(chart) {
    const { chartArea: area, scales } = chart;
    const ctx = drawingContext(chart);
    const x = scales.x?.getPixelForValue(100) ?? 0;
    const y = scales.y?.getPixelForValue(100) ?? 0;
    const cx = Math.min(Math.max(x, area.left), area.right);
    const cy = Math.min(Math.max(y, area.top), area.bottom);
    const boxes = {
      Leading: [cx, area.top, area.right - cx, cy - area.top],
      Weakening: [cx, cy, area.right - cx, area.bottom - cy],
      Lagging: [area.left, cy, cx - area.left, area.bottom - cy],
      Improving: [area.left, area.top, cx - area.left, cy - area.top],
    } as const;
    ctx.save();
    ctx.font = `bold 18px ${FONT}`;
    for (const name of QUADRANT_NAMES) {
      const [bx, by, bw, bh] = boxes[name];
      ctx.fillStyle = QUADRANT_FILL[name];
      ctx.fillRect(bx, by, bw, bh);
      ctx.fillStyle = 'rgba(31, 35, 40, 0.55)';
      ctx.textAlign = name === 'Leading' || name === 'Weakening' ? 'right' : 'left';
      ctx.textBaseline = name === 'Leading' || name === 'Improving' ? 'top' : 'bottom';
      const tx = ctx.textAlign === 'right' ? bx + bw - 10 : bx + 10;
      const ty = ctx.textBaseline === 'top' ? by + 8 : by + bh - 8;
      if (bw > 80 && bh > 30) ctx.fillText(name, tx, ty);
    }
    ctx.restore();
  },
};

/** Each tail's name beside its latest point, nudged apart so neighbours do not overprint. */
const pointLabelPlugin: Plugin<'scatter'> = {
  id: 'pointLabels',
  afterDatasetsDraw(chart) {
    const ctx = drawingContext(chart);
    ctx.save();
    ctx.font = `bold 15px ${FONT}`;
    ctx.textBaseline = 'middle';
    const placed: { x: number; y: number }[] = [];
    chart.data.datasets.forEach((dataset, i) => {
      const meta = chart.getDatasetMeta(i);
      const last = meta.data.at(-1);
      if (!last || typeof dataset.label !== 'string') return;
      let { x, y } = last.getProps(['x', 'y'], true) as { x: number; y: number };
      x += 9;
      while (placed.some((p) => Math.abs(p.x - x) < 48 && Math.abs(p.y - y) < 16)) y += 16;
      placed.push({ x, y });
      ctx.fillStyle = typeof dataset.borderColor === 'string' ? dataset.borderColor : INK;
      ctx.fillText(dataset.label, x, y);
    });
    ctx.restore();
  },
};

function backgroundPlugin(watermark: string | null, watermarkSize: number): Plugin {
  return {
    id: 'backgroundAndWatermark',
    beforeDraw(chart) {
      const { width, height } = chart;
      const ctx = drawingContext(chart);
      ctx.save();
      ctx.fillStyle = BACKGROUND;
      ctx.fillRect(0, 0, width, height);
      ctx.restore();
    },
    afterDraw(chart) {
      if (watermark === null) return;
      const { width, height } = chart;
      const ctx = drawingContext(chart);
      ctx.save();
      ctx.translate(width / 2, height / 2);
      ctx.rotate(-Math.atan2(height, width));
      ctx.font = `bold ${watermarkSize}px ${FONT}`;
      ctx.fillStyle = 'rgba(213, 94, 0, 0.13)';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(watermark, 0, 0);
      ctx.restore();
    },
  };
}

function titles(report: Report, title: string) {
  return {
    title: {
      display: true,
      text: title,
      color: INK,
      font: { family: FONT, size: 22, weight: 'bold' as const },
    },
    subtitle: {
      display: true,
      text: asOfLine(report),
      color: INK,
      font: { family: FONT, size: 14 },
      padding: { bottom: 10 },
    },
    legend: { labels: { color: INK, font: { family: FONT, size: 13 } } },
  };
}

/** An RRG axis centred on 100, reaching `span` either side. */
function centredAxis(span: number, title: string) {
  return { min: 100 - span, max: 100 + span, title: axisTitle(title), ticks: ticks(), grid: { color: GRID } };
}

function rrgSpec(report: Report): ChartSpec {
  const symbols = report.series
    .filter((s) => s.id.startsWith('rotation.rs_ratio:'))
    .map((s) => s.id.slice('rotation.rs_ratio:'.length));
  const all: ScatterDataPoint[] = [];
  const datasets: ChartDataset<'scatter', ScatterDataPoint[]>[] = symbols.flatMap((symbol, i) => {
    const ratio = seriesById(report, `rotation.rs_ratio:${symbol}`);
    const momentum = seriesById(report, `rotation.rs_momentum:${symbol}`);
    if (!ratio || !momentum) return [];
    const points = ratio.values.flatMap((x, t) => {
      const y = momentum.values[t] ?? null;
      return x === null || y === null ? [] : [{ x, y }];
    });
    if (points.length === 0) return [];
    all.push(...points);
    const colour = PALETTE[i % PALETTE.length] ?? INK;
    return [
      {
        label: symbol,
        data: points,
        showLine: true,
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: 2,
        pointRadius: points.map((_, k) => (k === points.length - 1 ? 6 : 2.5)),
      },
    ];
  });
  const span = (key: 'x' | 'y') => Math.max(1.5, ...all.map((p) => Math.abs((p[key] ?? 100) - 100))) * 1.15;
  const title = `Relative rotation of the sectors against ${String(report.options.benchmark ?? 'SPY')}`;
  return {
    kind: 'rrg',
    watermark: report.source.name === 'demo' ? 'DEMO DATA' : null,
    config: {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: { ...titles(report, title), legend: { display: false } },
        scales: {
          x: centredAxis(span('x'), 'RS-Ratio (relative strength, 100 = in line)'),
          y: centredAxis(span('y'), 'RS-Momentum'),
        },
      },
      plugins: [quadrantPlugin, pointLabelPlugin] as Plugin[],
    },
  };
}

function lineSet(
  series: ReportSeries | undefined,
  label: string,
  axis: string,
  colour: string,
  extra: Partial<ChartDataset<'line'>> = {},
): ChartDataset<'line', (number | null)[]>[] {
  if (!series) return [];
  return [
    {
      label,
      data: [...series.values],
      yAxisID: axis,
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: 2,
      pointRadius: 0,
      spanGaps: false,
      ...extra,
    } as ChartDataset<'line', (number | null)[]>,
  ];
}

function timeAxis() {
  return {
    ticks: { ...ticks(), maxTicksLimit: 8, maxRotation: 0 },
    grid: { color: GRID },
  };
}

/** One panel of a stacked chart; a lower panel leaves its top tick unlabelled so neighbours do not overprint. */
function stackedAxis(title: string, weight: number, extra: Record<string, unknown> = {}, lower = true) {
  return {
    type: 'linear' as const,
    position: 'left' as const,
    stack: 'panels',
    stackWeight: weight,
    title: axisTitle(title),
    ticks: {
      ...ticks(),
      callback: (value: number | string, index: number, all: readonly unknown[]) =>
        lower && index === all.length - 1 ? '' : value,
    },
    grid: { color: GRID },
    ...extra,
  };
}

function breadthSpec(report: Report): ChartSpec {
  const index = seriesById(report, 'breadth.index');
  const above50 = seriesById(report, 'breadth.pct_above_50d');
  const dates = above50?.dates ?? index?.dates ?? [];
  const indexName = String(report.options.index ?? 'index');
  const title = `Breadth of ${report.universe.name} under ${indexName}`;
  return {
    kind: 'breadth',
    watermark: report.source.name === 'demo' ? 'DEMO DATA' : null,
    config: {
      type: 'line',
      data: {
        labels: [...dates],
        datasets: [
          ...lineSet(index, indexName, 'price', PALETTE[7] ?? INK),
          ...lineSet(above50, '% above 50-day', 'pct', PALETTE[0] ?? INK),
          ...lineSet(
            seriesById(report, 'breadth.pct_above_200d'),
            '% above 200-day',
            'pct',
            PALETTE[1] ?? INK,
          ),
          ...lineSet(
            seriesById(report, 'breadth.mcclellan'),
            'McClellan oscillator',
            'osc',
            PALETTE[4] ?? INK,
            {
              fill: {
                target: { value: 0 },
                above: 'rgba(0, 158, 115, 0.35)',
                below: 'rgba(213, 94, 0, 0.35)',
              },
              borderWidth: 1,
            },
          ),
        ],
      },
      options: {
        plugins: titles(report, title),
        scales: {
          x: timeAxis(),
          // Stacked axes are laid out bottom-up in the order they are defined: the index goes on top.
          osc: stackedAxis('McClellan', 1.2),
          pct: stackedAxis('% of members', 2, { min: 0, max: 100 }),
          price: stackedAxis(indexName, 2, {}, false),
        },
      },
    },
  };
}

/** Growth of 1 from daily returns, from the first day shown (flat across gaps). */
function growthOf(series: ReportSeries | undefined): (number | null)[] {
  const growth = cumulativeGrowth(Float64Array.from(series?.values ?? [], (r) => r ?? Number.NaN));
  return Array.from(growth, finite);
}

function momentumSpec(report: Report): ChartSpec {
  const daily = seriesById(report, 'momentum.long_short');
  const dates = daily?.dates ?? [];
  // Extreme days are those at or beyond the report's own event threshold (eventSigma, 3 by default).
  const sigma = typeof report.options.eventSigma === 'number' ? report.options.eventSigma : 3;
  const z = seriesById(report, 'momentum.z');
  const crashDays = new Set((z?.dates ?? []).filter((_, t) => Math.abs(z?.values[t] ?? 0) >= sigma));
  const longShort = growthOf(daily);
  const title = `Momentum: long-short factor on ${report.universe.name}`;
  const drawdown = seriesById(report, 'momentum.drawdown');
  return {
    kind: 'momentum',
    watermark: report.source.name === 'demo' ? 'DEMO DATA' : null,
    config: {
      type: 'line',
      data: {
        labels: [...dates],
        datasets: [
          {
            label: 'Long-short',
            data: longShort,
            yAxisID: 'growth',
            borderColor: PALETTE[7],
            backgroundColor: PALETTE[7],
            borderWidth: 2.5,
            pointRadius: 0,
          },
          {
            label: `Days beyond ${sigma}σ`,
            data: longShort.map((value, t) => (crashDays.has(dates[t] ?? '') ? value : null)),
            yAxisID: 'growth',
            showLine: false,
            borderColor: INK,
            backgroundColor: PALETTE[6],
            borderWidth: 1.5,
            pointRadius: 8,
            pointStyle: 'triangle',
            // Drawn last, over the lines.
            order: -1,
          },
          {
            label: 'Long leg',
            data: growthOf(seriesById(report, 'momentum.long_leg')),
            yAxisID: 'growth',
            borderColor: PALETTE[2],
            backgroundColor: PALETTE[2],
            borderWidth: 1.5,
            pointRadius: 0,
          },
          {
            label: 'Short leg',
            data: growthOf(seriesById(report, 'momentum.short_leg')),
            yAxisID: 'growth',
            borderColor: PALETTE[3],
            backgroundColor: PALETTE[3],
            borderWidth: 1.5,
            pointRadius: 0,
          },
          ...lineSet(drawdown, 'Drawdown', 'dd', PALETTE[4] ?? INK, {
            data: (drawdown?.values ?? []).map((v) => (v === null ? null : v * 100)),
            fill: { target: 'origin', below: 'rgba(204, 121, 167, 0.35)' },
            borderWidth: 1,
          }),
        ],
      },
      options: {
        plugins: titles(report, title),
        scales: {
          x: timeAxis(),
          dd: stackedAxis('Drawdown %', 1.2, { max: 0 }),
          growth: stackedAxis('Growth of 1 (shown period)', 3, {}, false),
        },
      },
    },
  };
}

/** Bars up in green and down in orange (Okabe–Ito), so the sign reads without the axis. */
function signColours(values: readonly (number | null)[]): string[] {
  return values.map((v) => ((v ?? 0) >= 0 ? (PALETTE[2] ?? INK) : (PALETTE[3] ?? INK)));
}

/** Quotes: each symbol's change on the day and its distance from the 200-day average, side by side. */
function quoteSpec(report: Report): ChartSpec {
  const table = report.tables.find((t) => t.id === 'quotes');
  const column = (key: string) => table?.columns.findIndex((c) => c.key === key) ?? -1;
  // A chart with more bars than this is unreadable at 1200 pixels; the table has them all.
  const rows = (table?.rows ?? []).slice(0, 40);
  const percent = (key: string) =>
    rows.map((row) => {
      const v = row[column(key)];
      return typeof v === 'number' ? v * 100 : null;
    });
  const day = percent('change_1d');
  const vs200 = percent('vs_sma200');
  return {
    kind: 'quote',
    watermark: report.source.name === 'demo' ? 'DEMO DATA' : null,
    config: {
      type: 'bar',
      data: {
        labels: rows.map((row) => String(row[0] ?? '')),
        datasets: [
          // Each panel has one bar per symbol: not grouped, so a bar sits centred on its label.
          { label: 'Day %', data: day, yAxisID: 'day', backgroundColor: signColours(day), grouped: false },
          {
            label: 'vs 200-day %',
            data: vs200,
            yAxisID: 'trend',
            backgroundColor: signColours(vs200),
            grouped: false,
          },
        ],
      },
      options: {
        plugins: { ...titles(report, report.title), legend: { display: false } },
        scales: {
          x: { ticks: { ...ticks(), autoSkip: false, maxRotation: 90 }, grid: { color: GRID } },
          trend: stackedAxis('vs 200-day average %', 1),
          day: stackedAxis('Change on the day %', 1, {}, false),
        },
      },
    },
  };
}

/** One symbol: price with its averages on top, relative strength under it, volume at the bottom. */
function priceSpec(report: Report): ChartSpec {
  const close = seriesById(report, 'chart.close');
  const volume = seriesById(report, 'chart.volume');
  const symbol = String(report.options.symbol ?? '');
  const benchmark = String(report.options.benchmark ?? 'SPY');
  const relative = seriesById(report, 'chart.relative_strength');
  return {
    kind: 'price',
    watermark: report.source.name === 'demo' ? 'DEMO DATA' : null,
    config: {
      type: 'line',
      data: {
        labels: [...(close?.dates ?? [])],
        datasets: [
          ...lineSet(close, symbol, 'price', PALETTE[7] ?? INK),
          ...lineSet(seriesById(report, 'chart.sma50'), '50-day average', 'price', PALETTE[0] ?? INK, {
            borderWidth: 1.5,
          }),
          ...lineSet(seriesById(report, 'chart.sma200'), '200-day average', 'price', PALETTE[3] ?? INK, {
            borderWidth: 1.5,
          }),
          ...lineSet(relative, `Relative to ${benchmark}`, 'relative', PALETTE[4] ?? INK),
          ...(volume === undefined
            ? []
            : [
                {
                  type: 'bar' as const,
                  label: 'Volume',
                  data: [...volume.values],
                  yAxisID: 'volume',
                  backgroundColor: 'rgba(86, 180, 233, 0.6)',
                } as unknown as ChartDataset<'line', (number | null)[]>,
              ]),
        ],
      },
      options: {
        plugins: titles(report, report.title),
        scales: {
          x: timeAxis(),
          volume: stackedAxis('Volume', 0.8, {
            min: 0,
            ticks: {
              ...ticks(),
              callback: (value: number | string, index: number, all: readonly unknown[]) =>
                index === all.length - 1 ? '' : formatCompact(Number(value)),
            },
          }),
          ...(relative === undefined ? {} : { relative: stackedAxis(`vs ${benchmark}`, 1) }),
          price: stackedAxis('Price', 3, {}, false),
        },
      },
    },
  };
}

/** The chart of a report, as data. */
export function chartSpec(report: Report): ChartSpec {
  switch (report.command) {
    case 'rotation':
      return rrgSpec(report);
    case 'breadth':
      return breadthSpec(report);
    case 'momentum':
      return momentumSpec(report);
    case 'quote':
      return quoteSpec(report);
    case 'chart':
      return priceSpec(report);
  }
}

/**
 * A dashboard panel is a quarter of the area: no subtitle (the panels share one as-of), smaller text,
 * no axis titles on stacked panels (the legend names the lines) and fewer dates.
 */
function compact(options: ChartConfiguration['options']): ChartConfiguration['options'] {
  const small = { family: FONT, size: 11 };
  const scales = Object.fromEntries(
    Object.entries(options?.scales ?? {}).map(([id, raw]) => {
      const scale = raw as { title?: { display?: boolean }; ticks?: object; stack?: string };
      return [
        id,
        {
          ...scale,
          title: {
            ...scale.title,
            display: scale.title?.display === true && scale.stack === undefined,
            font: small,
          },
          ticks: { ...scale.ticks, font: small, ...(id === 'x' ? { maxTicksLimit: 4 } : {}) },
        },
      ];
    }),
  );
  return {
    ...options,
    scales,
    plugins: {
      ...options?.plugins,
      title: { ...options?.plugins?.title, font: { family: FONT, size: 16, weight: 'bold' } },
      subtitle: { display: false },
      legend: { ...options?.plugins?.legend, labels: { color: INK, font: small, boxWidth: 12 } },
    },
  };
}

/** Draws a chart and hands the canvas to `use`; the chart is released after (destroying it clears the canvas). */
function drawChart<T>(spec: ChartSpec, width: number, height: number, use: (canvas: Canvas) => T): T {
  const canvas = createCanvas(width, height);
  const context: SKRSContext2D = canvas.getContext('2d');
  const small = width < CHART_WIDTH;
  const options = small ? compact(spec.config.options) : spec.config.options;
  const config = {
    ...spec.config,
    options: { ...options, responsive: false, animation: false as const, devicePixelRatio: 1 },
    plugins: [backgroundPlugin(spec.watermark, small ? 48 : 96), ...(spec.config.plugins ?? [])],
  } as ChartConfiguration;
  const chart = new Chart(context, config);
  try {
    return use(canvas);
  } finally {
    chart.destroy();
  }
}

/** Draws a chart as a PNG of CHART_WIDTH × CHART_HEIGHT. */
export async function renderChartPng(spec: ChartSpec): Promise<Buffer> {
  const png = drawChart(spec, CHART_WIDTH, CHART_HEIGHT, (canvas) => canvas.toBuffer('image/png'));
  return Promise.resolve(png);
}

/**
 * The /market dashboard at the same size: the rotation graph on the left half, breadth and momentum
 * stacked on the right. A report that is missing leaves its panel out.
 */
export async function renderDashboardPng(reports: readonly Report[]): Promise<Buffer> {
  const canvas = createCanvas(CHART_WIDTH, CHART_HEIGHT);
  const context = canvas.getContext('2d');
  context.fillStyle = BACKGROUND;
  context.fillRect(0, 0, CHART_WIDTH, CHART_HEIGHT);
  const half = CHART_WIDTH / 2;
  const header = 28;
  const places: Partial<Record<ChartKind, [number, number, number, number]>> = {
    rrg: [0, header, half, CHART_HEIGHT - header],
    breadth: [half, header, half, Math.floor((CHART_HEIGHT - header) / 2)],
    momentum: [
      half,
      header + Math.floor((CHART_HEIGHT - header) / 2),
      half,
      Math.ceil((CHART_HEIGHT - header) / 2),
    ],
  };
  const [first] = reports;
  if (first) {
    context.fillStyle = INK;
    context.font = `14px ${FONT}`;
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.fillText(`Market brief · ${asOfLine(first)}`, CHART_WIDTH / 2, header / 2);
  }
  for (const report of reports) {
    const spec = chartSpec(report);
    const place = places[spec.kind];
    if (place === undefined) continue;
    const [x, y, width, height] = place;
    drawChart(spec, width, height, (panel) => {
      context.drawImage(panel, x, y);
    });
  }
  return Promise.resolve(canvas.toBuffer('image/png'));
}
