/**
 * What `deno task analyze` does once its flags are parsed: open the lake
 * (S3 or a local directory), run the named reports or an ad-hoc query, print
 * or write them as a table, JSON or CSV, and write the HTML page.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { loadConfig, userCwd } from "../core/env.ts";
import { UserError } from "../core/errors.ts";
import { checkBucketName } from "../core/flags.ts";
import { writeStdout } from "../core/process.ts";
import { Lake } from "./duckdb.ts";
import { s3Root } from "./keys.ts";
import { formatResults } from "./report_format.ts";
import {
  findReport,
  htmlReport,
  type NamedResult,
  reportRunner,
  REPORTS,
  SEED_REPORTS,
} from "./reports.ts";

/** Text formats of `--format`. */
export type OutputFormat = "table" | "json" | "csv";

/** Checked options of one `analyze` run; paths are relative to where the user ran the task. */
export interface AnalyzeOptions {
  /** Reports to print, in order; none means the seed's four (unless `sql` or `html` is given). */
  reports: readonly string[];
  /** One ad-hoc query over the `events` view. */
  sql?: string | undefined;
  format: OutputFormat;
  /** File for the text output instead of standard output. */
  out?: string | undefined;
  /** File for the HTML page. */
  html?: string | undefined;
  /** First and last dates (YYYY-MM-DD, UTC) to read. */
  from?: string | undefined;
  to?: string | undefined;
  /** Rows for reports that list rows. */
  limit?: number | undefined;
  /** S3 bucket [S3_BUCKET]. */
  bucket?: string | undefined;
  /** Key prefix of the lake in the bucket. */
  prefix: string;
  /** A local directory with the lake's layout, read instead of S3. */
  dir?: string | undefined;
}

/** The `--list` text: one report per line with its description. */
export function reportList(): string {
  const w = Math.max(...REPORTS.map((r) => r.name.length)) + 2;
  return REPORTS.map((r) => `${r.name.padEnd(w)}${r.description}`).join("\n");
}

/** Checks a `--format` value. */
export function checkFormat(format: string): OutputFormat {
  if (format !== "table" && format !== "json" && format !== "csv") {
    throw new UserError(`--format has "${format}"; expected table, json or csv`);
  }
  return format;
}

/** Throws a UserError naming the first unknown report and listing the known ones. */
export function checkReportNames(names: readonly string[]): void {
  for (const name of names) {
    if (!findReport(name)) {
      throw new UserError(
        `Unknown report "${name}"; reports are: ${REPORTS.map((r) => r.name).join(", ")}`,
      );
    }
  }
}

/** `deno task` runs in the project root; relative paths are meant from where the user is. */
function userPath(path: string): string {
  return isAbsolute(path) ? path : resolve(userCwd(), path);
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

/** The lake's root: the real path of `dir`, or `s3://bucket/prefix`. */
async function lakeRoot(o: AnalyzeOptions, defaultBucket: string): Promise<string> {
  if (o.dir !== undefined) {
    return await Deno.realPath(userPath(o.dir)).catch(() => {
      throw new UserError(`--dir "${o.dir}" does not exist`);
    });
  }
  return s3Root(checkBucketName(o.bucket ?? defaultBucket, "--bucket"), o.prefix);
}

/** Runs the reports and the query of `o` over `lake` and prints or writes them. */
async function runAll(
  lake: Lake,
  o: AnalyzeOptions,
  out?: string,
  htmlPath?: string,
): Promise<void> {
  const run = reportRunner(lake, o.limit);
  // What to print: the named reports, the ad-hoc query, or by default the seed's four
  // (unless only --html was asked for).
  const names = o.reports.length > 0
    ? o.reports
    : o.sql !== undefined || o.html !== undefined
    ? []
    : SEED_REPORTS;
  const results: NamedResult[] = [];
  for (const name of names) results.push(await run(name));
  if (o.sql !== undefined) {
    results.push({ name: "sql", title: "Query", result: await lake.query(o.sql) });
  }
  if (results.length > 0) {
    const text = formatResults(results, o.format);
    // `analyze … | head` closes the pipe early; that is not an error.
    if (out !== undefined) await writeOutput(out, text);
    else await writeStdout(text);
  }
  if (htmlPath !== undefined) {
    const html = await htmlReport(lake, run, {
      ...(o.reports.length > 0 ? { names: o.reports } : {}),
      extra: o.sql !== undefined ? [results.at(-1)!] : [],
      ...(o.from ? { from: o.from } : {}),
      ...(o.to ? { to: o.to } : {}),
    });
    await writeOutput(htmlPath, html);
  }
}

/**
 * Opens the lake, runs the reports (or the query) of `o` and prints or writes
 * them; the output files' directories are checked before any query runs.
 * Returns the exit code.
 *
 * @example
 * ```ts
 * await analyze({ reports: ["count"], format: "json", prefix: "music_events" });
 * ```
 */
export async function analyze(o: AnalyzeOptions): Promise<number> {
  const out = o.out === undefined ? undefined : userPath(o.out);
  const htmlPath = o.html === undefined ? undefined : userPath(o.html);
  for (const path of [out, htmlPath]) if (path !== undefined) await checkWritable(path);
  const config = loadConfig();
  const root = await lakeRoot(o, config.s3.bucket);
  const lake = await Lake.open({
    root,
    s3: config.s3,
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
  });
  try {
    await runAll(lake, o, out, htmlPath);
  } finally {
    lake.close();
  }
  return 0;
}
