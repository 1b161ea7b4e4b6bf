/**
 * One self-contained HTML page for the analytics: inline CSS, the SVG charts
 * of `charts.ts` and the report tables. No script and no external reference,
 * so it opens anywhere (mail attachment, offline, file://). Pure: results in,
 * text out.
 *
 * @module
 */
import { cellText } from "../core/tables.ts";
import {
  barChart,
  escapeHtml,
  formatCount,
  perMinuteChart,
  SERIES,
  seriesTotals,
} from "./charts.ts";
import type { QueryResult } from "./duckdb.ts";
import { isNumericType } from "./report_format.ts";

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

/**
 * Renders the whole page.
 *
 * @example
 * ```ts
 * const page = renderHtml({
 *   source: "s3://prod-python/music_events",
 *   generatedAt: new Date(),
 *   perMinute,
 *   topCountries,
 *   topTracks,
 *   tables: [{ name: "top-countries", title: "Top countries", result: topCountries }],
 * });
 * ```
 */
export function renderHtml(input: HtmlReportInput): string {
  const maxRows = input.maxTableRows ?? 200;
  const totals = seriesTotals(input.perMinute);
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
