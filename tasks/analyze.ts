/**
 * `deno task analyze [REPORT…]`: DuckDB reports over the Parquet lake on S3
 * (the seed's `read_from_s3.py`), as a table, JSON or CSV, and an HTML page
 * with charts.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { parseCommand, runMain, UserError } from "../lib/cli.ts";
import { checkBucketName, loadConfig, parseCount } from "../lib/config.ts";
import { Lake, parseDate, s3Root } from "../lib/duckdb.ts";
import {
  findReport,
  formatResults,
  htmlReport,
  type NamedResult,
  reportRunner,
  REPORTS,
  SEED_REPORTS,
} from "../lib/reports.ts";

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

/** `deno task` runs in the project root; relative paths are meant from where the user is. */
function userPath(path: string): string {
  return isAbsolute(path) ? path : resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), path);
}

/** Fails before any query runs when the file's directory is missing. */
async function checkWritable(path: string): Promise<void> {
  const dir = dirname(path);
  const isDir = await Deno.stat(dir).then((s) => s.isDirectory, () => false);
  if (!isDir) throw new UserError(`Cannot write ${path}: directory ${dir} does not exist`);
}

async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (e) {
    throw new UserError(`Cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  console.error(`wrote ${path}`);
}

async function main(): Promise<number> {
  const { values: v, positionals } = parseCommand(spec, Deno.args);
  if (v.list) {
    const w = Math.max(...REPORTS.map((r) => r.name.length)) + 2;
    for (const r of REPORTS) console.log(`${r.name.padEnd(w)}${r.description}`);
    return 0;
  }
  const format = v.format;
  if (format !== "table" && format !== "json" && format !== "csv") {
    throw new UserError(`--format has "${format}"; expected table, json or csv`);
  }
  for (const name of positionals) {
    if (!findReport(name)) {
      throw new UserError(
        `Unknown report "${name}"; reports are: ${REPORTS.map((r) => r.name).join(", ")}`,
      );
    }
  }
  if (v.sql !== undefined && positionals.length > 0) {
    throw new UserError("Give either report names or --sql, not both");
  }
  const from = v.from === undefined ? undefined : parseDate(v.from, "--from");
  const to = v.to === undefined ? undefined : parseDate(v.to, "--to");
  if (from && to && from > to) throw new UserError(`--from ${from} is after --to ${to}`);
  const limit = v.limit === undefined ? undefined : parseCount(v.limit, "--limit", 1);

  const out = v.out === undefined ? undefined : userPath(v.out);
  const htmlPath = v.html === undefined ? undefined : userPath(v.html);
  for (const path of [out, htmlPath]) if (path !== undefined) await checkWritable(path);

  let root: string;
  const config = loadConfig();
  if (v.dir !== undefined) {
    root = await Deno.realPath(userPath(v.dir)).catch(() => {
      throw new UserError(`--dir "${v.dir}" does not exist`);
    });
  } else {
    const bucket = checkBucketName(v.bucket ?? config.s3.bucket, "--bucket");
    root = s3Root(bucket, v.prefix);
  }

  // What to print: the named reports, the ad-hoc query, or by default the seed's four
  // (unless only --html was asked for).
  const names = positionals.length > 0
    ? positionals
    : v.sql !== undefined || v.html !== undefined
    ? []
    : [...SEED_REPORTS];

  const lake = await Lake.open({
    root,
    s3: config.s3,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  });
  try {
    const run = reportRunner(lake, limit);
    const results: NamedResult[] = [];
    for (const name of names) results.push(await run(name));
    if (v.sql !== undefined) {
      results.push({ name: "sql", title: "Query", result: await lake.query(v.sql) });
    }

    if (results.length > 0) {
      const text = formatResults(results, format);
      if (out !== undefined) {
        await writeOutput(out, text);
      } else {
        try {
          await Deno.stdout.write(new TextEncoder().encode(text));
        } catch (e) {
          // `analyze … | head` closes the pipe early; that is not an error.
          if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
        }
      }
    }

    if (htmlPath !== undefined) {
      const html = await htmlReport(lake, run, {
        ...(positionals.length > 0 ? { names: positionals } : {}),
        extra: v.sql !== undefined ? [results.at(-1)!] : [],
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      await writeOutput(htmlPath, html);
    }
  } finally {
    lake.close();
  }
  return 0;
}

if (import.meta.main) await runMain(main);
