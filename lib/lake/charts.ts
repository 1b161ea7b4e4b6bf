/**
 * Hand-made SVG charts of report results (events per minute by type, bar
 * charts of top countries and tracks), for the HTML page. Pure: results in,
 * markup out.
 *
 * @module
 */
import { formatCount } from "../core/progress.ts";
import { cellText } from "../core/tables.ts";
import type { Cell, QueryResult } from "./duckdb.ts";

/** `1234567` → `1,234,567` (axis labels and bar values). */
export { formatCount };

/** Colours per event type (colour-blind friendly, Tableau 10). */
export const SERIES = [
  { column: "track_playback", label: "track_playback (1)", color: "#4e79a7" },
  { column: "pause_track", label: "pause_track (2)", color: "#f28e2b" },
  { column: "resume_track", label: "resume_track (3)", color: "#59a14f" },
] as const;

/** Escapes text for HTML element content and attribute values (SVG included). */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** A "nice" axis step (1, 2 or 5 × 10^k) giving about `target` intervals up to `max`. */
export function niceStep(max: number, target = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return step;
}

function num(v: Cell | undefined): number {
  return typeof v === "number" ? v : Number(v ?? 0) || 0;
}

/** Parses DuckDB's `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) to epoch ms. */
export function parseUtc(s: string): number {
  return Date.parse(s.replace(" ", "T") + (/[zZ]|[+-]\d\d(:?\d\d)?$/.test(s) ? "" : "Z"));
}

function col(result: QueryResult, name: string): number {
  return result.columns.indexOf(name);
}

/** Sum of each {@link SERIES} column of the `per-minute` report, in SERIES order. */
export function seriesTotals(perMinute: QueryResult): number[] {
  return SERIES.map((s) =>
    perMinute.rows.reduce((sum, r) => sum + num(r[col(perMinute, s.column)]), 0)
  );
}

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"`;

function emptyChart(width: number, height: number, text: string): string {
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ${FONT}>` +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#666" font-size="14">${
      escapeHtml(text)
    }</text></svg>`;
}

/** Most points the per-minute chart draws; longer spans are averaged over wider bins. */
export const MAX_CHART_POINTS = 240;

/** One point of the per-minute chart: the bin's start and one value per {@link SERIES}. */
interface MinutePoint {
  t: number;
  v: number[];
}

/**
 * Per-minute counts on a continuous time axis: minutes without events count
 * as zero, and spans over {@link MAX_CHART_POINTS} minutes are averaged over
 * bins of `binMinutes` (so the unit stays "events per minute").
 */
export function minuteSeries(
  result: QueryResult,
): { binMinutes: number; points: { t: number; v: number[] }[] } {
  const iMinute = col(result, "minute");
  if (iMinute < 0 || result.rows.length === 0) return { binMinutes: 1, points: [] };
  const rows = result.rows.map((r) => ({
    t: parseUtc(String(r[iMinute])),
    v: SERIES.map((s) => num(r[col(result, s.column)])),
  }));
  const t0 = Math.min(...rows.map((r) => r.t));
  const t1 = Math.max(...rows.map((r) => r.t));
  const minutes = Math.round((t1 - t0) / 60_000) + 1;
  const binMinutes = Math.max(1, Math.ceil(minutes / MAX_CHART_POINTS));
  const bins = Array.from({ length: Math.ceil(minutes / binMinutes) }, (_, i) => ({
    t: t0 + i * binMinutes * 60_000,
    v: SERIES.map(() => 0),
  }));
  for (const r of rows) {
    const b = bins[Math.floor((r.t - t0) / 60_000 / binMinutes)]!;
    r.v.forEach((x, k) => b.v[k]! += x / binMinutes);
  }
  return { binMinutes, points: bins };
}

/** Plot area of a chart: margins, inner size and the value → pixel mappings. */
interface Plot {
  m: { left: number; right: number; top: number; bottom: number };
  w: number;
  h: number;
  x: (t: number) => number;
  y: (v: number) => number;
}

/** Horizontal grid lines and labels of the y axis. */
function yGrid(p: Plot, yStep: number, yMax: number): string[] {
  const out: string[] = [];
  for (let i = 0; i * yStep <= yMax + 1e-9; i++) {
    const v = i * yStep;
    out.push(
      `<line x1="${p.m.left}" x2="${p.m.left + p.w}" y1="${p.y(v)}" y2="${p.y(v)}" stroke="${
        v === 0 ? "#888" : "#e5e5e5"
      }"/>`,
      `<text x="${p.m.left - 8}" y="${p.y(v) + 4}" text-anchor="end" fill="#444">${
        Number.isInteger(v) ? formatCount(v) : String(Number(v.toFixed(3)))
      }</text>`,
    );
  }
  return out;
}

/** Ticks of the time axis at round minutes; dates in labels when the span crosses a day. */
function minuteTicks(p: Plot, t0: number, t1: number, multiDay: boolean): string[] {
  const spanMin = (t1 - t0) / 60_000;
  const stepMin = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080]
    .find((s) => spanMin / s <= 8) ?? 10080;
  const first = Math.ceil(t0 / (stepMin * 60_000)) * stepMin * 60_000;
  const out: string[] = [];
  for (let t = first; t <= t1; t += stepMin * 60_000) {
    const iso = new Date(t).toISOString();
    const label = multiDay || stepMin >= 1440
      ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}`
      : iso.slice(11, 16);
    out.push(
      `<line x1="${p.x(t)}" x2="${p.x(t)}" y1="${p.m.top + p.h}" y2="${
        p.m.top + p.h + 5
      }" stroke="#888"/>`,
      `<text x="${p.x(t)}" y="${
        p.m.top + p.h + 18
      }" text-anchor="middle" fill="#444">${label}</text>`,
    );
  }
  return out;
}

/** One line per series, with dots when few points so single minutes stay visible. */
function seriesLines(p: Plot, pts: readonly MinutePoint[]): string[] {
  const out: string[] = [];
  SERIES.forEach((s, k) => {
    const d = pts.map((q, i) => `${i ? "L" : "M"}${p.x(q.t).toFixed(1)},${p.y(q.v[k]!).toFixed(1)}`)
      .join("");
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`,
    );
    if (pts.length <= 120) {
      for (const q of pts) {
        out.push(
          `<circle cx="${p.x(q.t).toFixed(1)}" cy="${
            p.y(q.v[k]!).toFixed(1)
          }" r="2.5" fill="${s.color}"><title>${
            new Date(q.t).toISOString().slice(0, 16).replace("T", " ")
          } ${s.column}: ${Number(q.v[k]!.toFixed(2))}</title></circle>`,
        );
      }
    }
  });
  return out;
}

/** The colour legend above the plot. */
function legend(left: number): string[] {
  const out: string[] = [];
  let lx = left;
  for (const s of SERIES) {
    out.push(
      `<rect x="${lx}" y="14" width="14" height="14" rx="2" fill="${s.color}"/>`,
      `<text x="${lx + 20}" y="26" fill="#222">${escapeHtml(s.label)}</text>`,
    );
    lx += 28 + s.label.length * 7;
  }
  return out;
}

/** Line chart of events per minute, one line per event type, with legend and axes. */
export function perMinuteChart(result: QueryResult, width = 1080, height = 360): string {
  const { binMinutes, points: pts } = minuteSeries(result);
  if (pts.length === 0) return emptyChart(width, height, "No events");
  const m = { left: 64, right: 48, top: 44, bottom: 52 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const t0 = pts[0]!.t;
  const t1 = Math.max(pts.at(-1)!.t, t0 + 60_000);
  const maxV = Math.max(...pts.flatMap((p) => p.v)) || 1;
  const yStep = niceStep(maxV);
  const yMax = Math.ceil(maxV / yStep) * yStep;
  const plot: Plot = {
    m,
    w,
    h,
    x: (t) => m.left + ((t - t0) / (t1 - t0)) * w,
    y: (v) => m.top + h - (v / yMax) * h,
  };
  const multiDay =
    new Date(t0).toISOString().slice(0, 10) !== new Date(t1).toISOString().slice(0, 10);
  return [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Events per minute by type" ${FONT} font-size="12">`,
    ...yGrid(plot, yStep, yMax),
    ...minuteTicks(plot, t0, t1, multiDay),
    `<text x="${m.left + w / 2}" y="${height - 8}" text-anchor="middle" fill="#222">Minute (UTC${
      multiDay ? "" : ", " + new Date(t0).toISOString().slice(0, 10)
    })</text>`,
    `<text transform="translate(16 ${
      m.top + h / 2
    }) rotate(-90)" text-anchor="middle" fill="#222">Events per minute${
      binMinutes > 1 ? ` (mean over ${binMinutes}-minute bins)` : ""
    }</text>`,
    ...seriesLines(plot, pts),
    ...legend(m.left),
    "</svg>",
  ].join("");
}

/** Horizontal bar chart of `valueCol` by `labelCol`, largest first, values at bar ends. */
export function barChart(
  result: QueryResult,
  labelCol: string,
  valueCol: string,
  opts: { width?: number; color?: string; axisTitle: string; mono?: boolean },
): string {
  const width = opts.width ?? 520;
  const iL = col(result, labelCol);
  const iV = col(result, valueCol);
  const bars = iL < 0 || iV < 0
    ? []
    : result.rows.map((r) => ({ label: cellText(r[iL]!), value: num(r[iV]) }));
  const rowH = 26;
  const m = { left: opts.mono ? 250 : 170, right: 56, top: 10, bottom: 44 };
  const height = m.top + m.bottom + Math.max(1, bars.length) * rowH;
  if (bars.length === 0) return emptyChart(width, 120, "No data");
  const w = width - m.left - m.right;
  const maxV = Math.max(1, ...bars.map((b) => b.value));
  const step = Math.max(1, niceStep(maxV, 4)); // counts: no fractional ticks
  const xMax = Math.ceil(maxV / step) * step;
  const x = (v: number) => m.left + (v / xMax) * w;
  const out: string[] = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${
      escapeHtml(opts.axisTitle)
    }" ${FONT} font-size="12">`,
  ];
  const base = m.top + bars.length * rowH;
  for (let i = 0; i * step <= xMax + 1e-9; i++) {
    const v = i * step;
    out.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${m.top}" y2="${base}" stroke="${
        v === 0 ? "#888" : "#e5e5e5"
      }"/>`,
      `<text x="${x(v)}" y="${base + 16}" text-anchor="middle" fill="#444">${
        formatCount(v)
      }</text>`,
    );
  }
  bars.forEach((b, i) => {
    const yy = m.top + i * rowH;
    const maxChars = opts.mono ? 36 : 24;
    const shown = b.label.length > maxChars ? b.label.slice(0, maxChars - 1) + "…" : b.label;
    out.push(
      `<text x="${m.left - 8}" y="${yy + rowH / 2 + 4}" text-anchor="end" fill="#222"${
        opts.mono ? ` font-family="ui-monospace, Menlo, Consolas, monospace" font-size="10.5"` : ""
      }><title>${escapeHtml(b.label)}</title>${escapeHtml(shown)}</text>`,
      `<rect x="${m.left}" y="${yy + 4}" width="${
        Math.max(1, x(b.value) - m.left).toFixed(1)
      }" height="${rowH - 8}" rx="2" fill="${opts.color ?? "#4e79a7"}"><title>${
        escapeHtml(b.label)
      }: ${b.value}</title></rect>`,
      `<text x="${x(b.value) + 5}" y="${yy + rowH / 2 + 4}" fill="#222">${
        formatCount(b.value)
      }</text>`,
    );
  });
  out.push(
    `<text x="${m.left + w / 2}" y="${height - 8}" text-anchor="middle" fill="#222">${
      escapeHtml(opts.axisTitle)
    }</text>`,
    "</svg>",
  );
  return out.join("");
}
