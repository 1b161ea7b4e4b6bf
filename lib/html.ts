/**
 * One self-contained HTML page for the analytics: inline CSS, hand-made SVG
 * charts (events per minute by type, top countries, top tracks) and the
 * report tables. No script and no external reference, so it opens anywhere
 * (mail attachment, offline, file://). Pure: results in, text out.
 *
 * @module
 */
import type { Cell, QueryResult } from "./duckdb.ts";
import { cellText, isNumericType } from "./reports.ts";

/** A titled result shown as a table. */
export interface HtmlTable {
  name: string;
  title: string;
  result: QueryResult;
}

/** What the page shows. */
export interface HtmlReportInput {
  /** Where the data came from, e.g. `s3://prod-python/music_events`. */
  source: string;
  generatedAt: Date;
  from?: string;
  to?: string;
  /** `per-minute` report: minute, track_playback, pause_track, resume_track, total. */
  perMinute: QueryResult;
  /** `top-countries` report: country, events, … */
  topCountries: QueryResult;
  /** `top-tracks` report: track_id, playbacks, … */
  topTracks: QueryResult;
  /** Reports shown as tables below the charts. */
  tables: readonly HtmlTable[];
  /** Rows shown per table at most [200]. */
  maxTableRows?: number;
}

/** Colours per event type (colour-blind friendly, Tableau 10). */
export const SERIES = [
  { column: "track_playback", label: "track_playback (1)", color: "#4e79a7" },
  { column: "pause_track", label: "pause_track (2)", color: "#f28e2b" },
  { column: "resume_track", label: "resume_track (3)", color: "#59a14f" },
] as const;

/** Escapes text for HTML element content and attribute values. */
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

/** Number with thin thousands separators (locale independent). */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
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

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"`;

function emptyChart(width: number, height: number, text: string): string {
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ${FONT}>` +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#666" font-size="14">${
      escapeHtml(text)
    }</text></svg>`;
}

/** Most points the per-minute chart draws; longer spans are averaged over wider bins. */
export const MAX_CHART_POINTS = 240;

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
  const x = (t: number) => m.left + ((t - t0) / (t1 - t0)) * w;
  const y = (v: number) => m.top + h - (v / yMax) * h;
  const out: string[] = [];
  out.push(
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Events per minute by type" ${FONT} font-size="12">`,
  );
  // Y grid and labels.
  for (let i = 0; i * yStep <= yMax + 1e-9; i++) {
    const v = i * yStep;
    out.push(
      `<line x1="${m.left}" x2="${m.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="${
        v === 0 ? "#888" : "#e5e5e5"
      }"/>`,
      `<text x="${m.left - 8}" y="${y(v) + 4}" text-anchor="end" fill="#444">${
        Number.isInteger(v) ? formatCount(v) : String(Number(v.toFixed(3)))
      }</text>`,
    );
  }
  // X ticks at round minutes.
  const spanMin = (t1 - t0) / 60_000;
  const stepMin = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080]
    .find((s) => spanMin / s <= 8) ?? 10080;
  const multiDay =
    new Date(t0).toISOString().slice(0, 10) !== new Date(t1).toISOString().slice(0, 10);
  const first = Math.ceil(t0 / (stepMin * 60_000)) * stepMin * 60_000;
  for (let t = first; t <= t1; t += stepMin * 60_000) {
    const iso = new Date(t).toISOString();
    const label = multiDay || stepMin >= 1440
      ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}`
      : iso.slice(11, 16);
    out.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${m.top + h}" y2="${m.top + h + 5}" stroke="#888"/>`,
      `<text x="${x(t)}" y="${m.top + h + 18}" text-anchor="middle" fill="#444">${label}</text>`,
    );
  }
  out.push(
    `<text x="${m.left + w / 2}" y="${height - 8}" text-anchor="middle" fill="#222">Minute (UTC${
      multiDay ? "" : ", " + new Date(t0).toISOString().slice(0, 10)
    })</text>`,
    `<text transform="translate(16 ${
      m.top + h / 2
    }) rotate(-90)" text-anchor="middle" fill="#222">Events per minute${
      binMinutes > 1 ? ` (mean over ${binMinutes}-minute bins)` : ""
    }</text>`,
  );
  // Lines (with dots when few points, so single minutes stay visible).
  SERIES.forEach((s, k) => {
    const d = pts.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v[k]!).toFixed(1)}`)
      .join("");
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`,
    );
    if (pts.length <= 120) {
      for (const p of pts) {
        out.push(
          `<circle cx="${x(p.t).toFixed(1)}" cy="${
            y(p.v[k]!).toFixed(1)
          }" r="2.5" fill="${s.color}"><title>${
            new Date(p.t).toISOString().slice(0, 16).replace("T", " ")
          } ${s.column}: ${Number(p.v[k]!.toFixed(2))}</title></circle>`,
        );
      }
    }
  });
  // Legend.
  let lx = m.left;
  for (const s of SERIES) {
    out.push(
      `<rect x="${lx}" y="14" width="14" height="14" rx="2" fill="${s.color}"/>`,
      `<text x="${lx + 20}" y="26" fill="#222">${escapeHtml(s.label)}</text>`,
    );
    lx += 28 + s.label.length * 7;
  }
  out.push("</svg>");
  return out.join("");
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

/** An HTML table of a result (at most `maxRows` rows, with a note when cut). */
export function htmlTable(result: QueryResult, maxRows = 200): string {
  const right = result.types.map(isNumericType);
  const head = result.columns.map((c, i) =>
    `<th${right[i] ? ' class="num"' : ""}>${escapeHtml(c)}</th>`
  )
    .join("");
  const body = result.rows.slice(0, maxRows).map((r) =>
    "<tr>" +
    r.map((v, i) =>
      `<td${right[i] ? ' class="num"' : ""}>${
        escapeHtml(
          typeof v === "number" && right[i] && Number.isInteger(v) ? formatCount(v) : cellText(v),
        )
      }</td>`
    ).join("") + "</tr>"
  ).join("\n");
  const note = result.rows.length > maxRows
    ? `<p class="note">First ${maxRows} of ${formatCount(result.rows.length)} rows.</p>`
    : `<p class="note">${formatCount(result.rows.length)} row${
      result.rows.length === 1 ? "" : "s"
    }.</p>`;
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${note}`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f6f7f9;color:#1d2330;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{background:#1d2330;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header p{margin:0;color:#c9cfdb;font-size:13px}
main{max-width:1160px;margin:0 auto;padding:20px 24px 40px}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}
.kpi{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:10px 16px;min-width:150px}
.kpi b{display:block;font-size:22px;font-weight:600}
.kpi span{color:#5b6475;font-size:12px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:16px 20px;margin-bottom:16px}
section h2{margin:0 0 10px;font-size:16px;font-weight:600}
.row{display:flex;gap:16px;flex-wrap:wrap}
.row section{flex:1 1 520px}
svg{max-width:100%;height:auto;display:block}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:12.5px;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #eceef2;text-align:left;white-space:nowrap}
th{background:#f1f3f6;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#5b6475;font-size:12px;margin:6px 0 0}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
`;

/** Renders the whole page. */
export function renderHtml(input: HtmlReportInput): string {
  const maxRows = input.maxTableRows ?? 200;
  const totals = SERIES.map((s) =>
    input.perMinute.rows.reduce((sum, r) => sum + num(r[col(input.perMinute, s.column)]), 0)
  );
  const total = totals.reduce((a, b) => a + b, 0);
  const range = input.from || input.to ? ` · dates ${input.from ?? "…"} to ${input.to ?? "…"}` : "";
  const kpis = [
    { label: "events", value: total },
    ...SERIES.map((s, i) => ({ label: s.column, value: totals[i]! })),
  ].map((k) =>
    `<div class="kpi"><b>${formatCount(k.value)}</b><span>${escapeHtml(k.label)}</span></div>`
  )
    .join("");
  const tables = input.tables.map((t) =>
    `<section id="${escapeHtml(t.name)}"><h2>${escapeHtml(t.title)} <code>${
      escapeHtml(t.name)
    }</code></h2>${htmlTable(t.result, maxRows)}</section>`
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Music events report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Music events report</h1>
<p>Source <code>${escapeHtml(input.source)}</code>${escapeHtml(range)} · generated ${
    escapeHtml(input.generatedAt.toISOString().slice(0, 19).replace("T", " "))
  } UTC</p>
</header>
<main>
<div class="kpis">${kpis}</div>
<section id="chart-per-minute"><h2>Events per minute by type</h2>${
    perMinuteChart(input.perMinute)
  }</section>
<div class="row">
<section id="chart-top-countries"><h2>Top countries</h2>${
    barChart(input.topCountries, "country", "events", { axisTitle: "Events", color: "#4e79a7" })
  }</section>
<section id="chart-top-tracks"><h2>Top tracks</h2>${
    barChart(input.topTracks, "track_id", "playbacks", {
      axisTitle: "Playbacks",
      color: "#e15759",
      mono: true,
    })
  }</section>
</div>
${tables}
</main>
</body>
</html>
`;
}
