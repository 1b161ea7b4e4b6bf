/**
 * The named queries of `sql/clickhouse/queries/` (the seed's examples): listing,
 * choosing, running them against prefixed tables, and printing their rows as a
 * table, JSON or CSV.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { cellText, csvTable, plainTable } from "../core/tables.ts";
import { type ClickHouseClient, ClickHouseError, type QueryResult } from "./client.ts";
import { checkTablePrefix, renderSql, splitStatements, SQL_DIR } from "./sql.ts";

/** A named query from `sql/clickhouse/queries/NAME.sql`. */
export interface NamedQuery {
  name: string;
  /** The file's first `--` comment line. */
  description: string;
  /** SQL with `{{prefix}}` placeholders. */
  template: string;
}

/** Reads every named query, sorted by name. */
export async function listQueries(): Promise<NamedQuery[]> {
  const dir = new URL("queries/", SQL_DIR);
  const out: NamedQuery[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".sql")) continue;
    const template = await Deno.readTextFile(new URL(e.name, dir));
    const description = /^\s*--\s*(.*)$/m.exec(template)?.[1]?.trim() ?? "";
    out.push({ name: e.name.slice(0, -4), description, template });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The queries called `names` (all of them when none); throws UserError for an unknown name. */
export function chooseQueries(queries: NamedQuery[], names: readonly string[]): NamedQuery[] {
  if (names.length === 0) return queries;
  const byName = new Map(queries.map((q) => [q.name, q]));
  return names.map((n) => {
    const q = byName.get(n);
    if (!q) {
      throw new UserError(`no query "${n}"; known: ${queries.map((x) => x.name).join(", ")}`);
    }
    return q;
  });
}

/** One line per query: its name, padded, and what it shows. */
export function queryList(queries: NamedQuery[]): string[] {
  const w = Math.max(...queries.map((q) => q.name.length));
  return queries.map((q) => `${q.name.padEnd(w)}  ${q.description}`);
}

/** Runs one named query against the tables with `prefix`. */
export async function runQuery(
  client: ClickHouseClient,
  query: NamedQuery,
  prefix = "",
): Promise<QueryResult> {
  const [sql] = splitStatements(query.template);
  if (sql === undefined) throw new RangeError(`query "${query.name}" is empty`);
  try {
    return await client.query(renderSql(sql, { prefix: checkTablePrefix(prefix) }));
  } catch (e) {
    if (e instanceof ClickHouseError && e.code === 60) {
      const init = `deno task clickhouse:init${prefix ? ` --prefix ${prefix}` : ""}`;
      throw new ClickHouseError(`${e.message} (run "${init}" first)`, e.code);
    }
    throw e;
  }
}

/**
 * Runs `queries` in order and hands each printable block to `print` as soon
 * as it is ready: one result per query, headed by its name when there are
 * several; several in JSON become one object keyed by query name, so the
 * output stays one document.
 *
 * @example
 * ```ts
 * const client = new ClickHouseClient(loadConfig().clickhouse);
 * await runQueries(client, await listQueries(), { format: "table", print: console.log });
 * ```
 */
export async function runQueries(
  client: ClickHouseClient,
  queries: NamedQuery[],
  opts: { prefix?: string; format: OutputFormat; print: (text: string) => void },
): Promise<void> {
  const prefix = opts.prefix ?? "";
  if (opts.format === "json" && queries.length > 1) {
    const out: Record<string, unknown> = {};
    for (const q of queries) out[q.name] = (await runQuery(client, q, prefix)).data;
    opts.print(JSON.stringify(out, null, 2));
    return;
  }
  for (const [i, q] of queries.entries()) {
    const result = await runQuery(client, q, prefix);
    if (queries.length > 1) opts.print(`${i ? "\n" : ""}-- ${q.name}: ${q.description}`);
    opts.print(formatResult(result, opts.format));
  }
}

/** Output formats of `clickhouse:query`. */
export const OUTPUT_FORMATS = ["table", "json", "csv"] as const;
/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Checks a `--format` value; throws UserError listing the formats. */
export function parseOutputFormat(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) {
    throw new UserError(`--format has "${value}"; expected ${OUTPUT_FORMATS.join(", ")}`);
  }
  return value as OutputFormat;
}

const NUMERIC_TYPE = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

function cells(result: QueryResult): string[][] {
  return result.data.map((row) => result.meta.map((m) => cellText(row[m.name])));
}

/** Renders rows as an aligned text table; numeric columns are right-aligned. */
export function formatTable(result: QueryResult): string {
  return plainTable({
    columns: result.meta.map((m) => m.name),
    rows: cells(result),
    right: result.meta.map((m) => NUMERIC_TYPE.test(m.type)),
  });
}

/** Renders rows as RFC 4180 CSV with a header line. */
export function formatCsv(result: QueryResult): string {
  return csvTable(result.meta.map((m) => m.name), cells(result));
}

/** Renders rows in `format` (`json`: an array of row objects). */
export function formatResult(result: QueryResult, format: OutputFormat): string {
  switch (format) {
    case "table":
      return formatTable(result);
    case "csv":
      return formatCsv(result);
    case "json":
      return JSON.stringify(result.data, null, 2);
  }
}
