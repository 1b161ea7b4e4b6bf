/**
 * The named reports over the `events` view (their SQL is in `sql/duckdb/`):
 * which there are, running them once each, and the HTML page of them.
 *
 * @module
 */
import type { Lake, QueryResult } from "./duckdb.ts";
import { renderHtml } from "./html.ts";

/** One named report. */
export interface ReportSpec {
  name: string;
  /** Heading for tables and the HTML page. */
  title: string;
  /** One line for `--list`. */
  description: string;
  /** Default for `--limit`, for reports that list rows; undefined when all rows are shown. */
  limit?: number;
}

/** Every report, in the order `--list` and the HTML page show them. */
export const REPORTS: readonly ReportSpec[] = [
  { name: "count", title: "Events", description: "Total number of events (seed)" },
  {
    name: "schema",
    title: "Schema",
    description: "Stored Parquet columns and their names in `events` (seed)",
  },
  {
    name: "head",
    title: "First events",
    description: "The earliest events (seed: first 10 rows)",
    limit: 10,
  },
  {
    name: "playbacks",
    title: "Playbacks",
    description: "Events with event_type_id = 1 (seed)",
    limit: 10,
  },
  {
    name: "by-type",
    title: "Events by type",
    description: "Events per type and share of all events",
  },
  {
    name: "top-tracks",
    title: "Top tracks",
    description: "Most played tracks, with distinct listeners",
    limit: 10,
  },
  {
    name: "top-countries",
    title: "Top countries",
    description: "Countries by events, with distinct users",
    limit: 10,
  },
  { name: "active-users", title: "Daily active users", description: "Distinct users per UTC day" },
  {
    name: "per-minute",
    title: "Events per minute",
    description: "Events per minute by event type",
  },
  {
    name: "pause-rate",
    title: "Pause rate",
    description: "Pauses per playback, resumes per pause: overall and per country",
    limit: 10,
  },
  {
    name: "by-hour",
    title: "Events by hour of day",
    description: "Events per hour of the day (UTC) by event type, with the weekend's part",
  },
  {
    name: "platforms",
    title: "Platforms",
    description: "Events, users and share per platform (the platform_token's prefix)",
  },
];

/** The seed's four queries (`read_from_s3.py`), the default when no report is named. */
export const SEED_REPORTS: readonly string[] = ["count", "schema", "head", "playbacks"];

/** Looks a report up by name; undefined when there is none. */
export function findReport(name: string): ReportSpec | undefined {
  return REPORTS.find((r) => r.name === name);
}

/** The SQL text of a report, from `sql/duckdb/<name>.sql`. */
export async function reportSql(name: string): Promise<string> {
  if (!findReport(name)) throw new RangeError(`Unknown report "${name}"`);
  return await Deno.readTextFile(new URL(`../../sql/duckdb/${name}.sql`, import.meta.url));
}

/**
 * Runs a report; `limit` overrides its default row limit (reports without one ignore it).
 *
 * @example
 * ```ts
 * const top = await runReport(lake, "top-tracks", 5);
 * ```
 */
export async function runReport(lake: Lake, name: string, limit?: number): Promise<QueryResult> {
  const spec = findReport(name);
  if (!spec) throw new RangeError(`Unknown report "${name}"`);
  const sql = await reportSql(name);
  const params = spec.limit === undefined ? {} : { limit: limit ?? spec.limit };
  return await lake.query(sql, params);
}

/** A report with its title and result, as tables and pages show it. */
export interface NamedResult {
  name: string;
  title: string;
  result: QueryResult;
}

/** Runs reports over `lake`, each at most once (the HTML page and the tables share results). */
export function reportRunner(lake: Lake, limit?: number): (name: string) => Promise<NamedResult> {
  const cache = new Map<string, Promise<NamedResult>>();
  return (name) => {
    let r = cache.get(name);
    if (!r) {
      r = runReport(lake, name, limit).then((result) => ({
        name,
        title: findReport(name)!.title,
        result,
      }));
      cache.set(name, r);
    }
    return r;
  };
}

/**
 * The self-contained HTML page: the three charts, then the tables of `names`
 * (every report by default) and any `extra` tables.
 */
export async function htmlReport(
  lake: Lake,
  run: (name: string) => Promise<NamedResult>,
  opts: { names?: readonly string[]; extra?: NamedResult[]; from?: string; to?: string } = {},
): Promise<string> {
  const tables: NamedResult[] = [];
  for (const name of opts.names ?? REPORTS.map((r) => r.name)) tables.push(await run(name));
  tables.push(...(opts.extra ?? []));
  return renderHtml({
    source: lake.root,
    generatedAt: new Date(),
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    perMinute: (await run("per-minute")).result,
    topCountries: (await run("top-countries")).result,
    topTracks: (await run("top-tracks")).result,
    tables,
  });
}
