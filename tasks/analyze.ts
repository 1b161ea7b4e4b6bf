/**
 * `deno task analyze [REPORT…]`: DuckDB reports over the Parquet lake on S3
 * (the seed's `read_from_s3.py`), as a table, JSON or CSV, and an HTML page
 * with charts.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { UserError } from "../lib/core/errors.ts";
import { parseCount, parseDate } from "../lib/core/flags.ts";
import {
  analyze,
  type AnalyzeOptions,
  checkFormat,
  checkReportNames,
  reportList,
} from "../lib/lake/analyze.ts";
import { REPORTS } from "../lib/lake/reports.ts";

const spec = {
  name: "analyze",
  summary: "DuckDB reports over the Parquet lake on S3 (the seed's read_from_s3.py, and more).",
  usage: "[REPORT...] [flags]",
  positionals: true,
  options: {
    list: { type: "boolean" },
    format: { type: "string", default: "table" },
    out: { type: "string" },
    html: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    limit: { type: "string" },
    bucket: { type: "string" },
    prefix: { type: "string", default: "music_events" },
    dir: { type: "string" },
    sql: { type: "string" },
  },
  help: {
    list: "List the reports and exit",
    format: "Output format: table, json or csv",
    out: "Write the output to FILE instead of standard output",
    html: "Write a self-contained HTML page with charts and the report tables to FILE",
    from: "First date to read, YYYY-MM-DD (UTC, by the dt= partition)",
    to: "Last date to read, YYYY-MM-DD, inclusive",
    limit: "Rows for reports that list rows (head, playbacks, top-*, pause-rate) [10]",
    bucket: "S3 bucket of the lake [S3_BUCKET]",
    prefix: "Key prefix of the lake in the bucket",
    dir: "Read a local directory with the lake's layout instead of S3",
    sql:
      'Run one ad-hoc query over the view `events`, e.g. "SELECT country, count(*) FROM events GROUP BY 1"',
  },
  epilog: [
    "Reports (default: the seed's count schema head playbacks; see --list):",
    "  " + REPORTS.map((r) => r.name).join(" "),
    "",
    "The view `events` has: event_type_id, event_type, user_id, platform_token, ipv4, country,",
    "track_id, event_time (UTC), kafka_partition, kafka_offset, kafka_timestamp, dt (date).",
    "Lake layout: s3://BUCKET/PREFIX/dt=YYYY-MM-DD/<topic>+<partition>+<first-offset>.parquet",
    "Relative --out, --html and --dir paths are from the current directory.",
  ].join("\n"),
} as const;

type Flags = ReturnType<typeof parseCommand<typeof spec.options>>["values"];

/** Flags → checked options, in the order the checks always ran. */
function options(v: Flags, reports: string[]): AnalyzeOptions {
  const format = checkFormat(v.format);
  checkReportNames(reports);
  if (v.sql !== undefined && reports.length > 0) {
    throw new UserError("Give either report names or --sql, not both");
  }
  const from = v.from === undefined ? undefined : parseDate(v.from, "--from");
  const to = v.to === undefined ? undefined : parseDate(v.to, "--to");
  if (from && to && from > to) throw new UserError(`--from ${from} is after --to ${to}`);
  const limit = v.limit === undefined ? undefined : parseCount(v.limit, "--limit", 1);
  const { sql, out, html, bucket, prefix, dir } = v;
  return { reports, format, from, to, limit, sql, out, html, bucket, prefix, dir };
}

async function main(): Promise<number> {
  const { values, positionals } = parseCommand(spec, Deno.args);
  if (values.list) {
    console.log(reportList());
    return 0;
  }
  return await analyze(options(values, positionals));
}

if (import.meta.main) await runMain(main);
