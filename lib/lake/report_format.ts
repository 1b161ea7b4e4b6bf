/**
 * The plain-text renderings of query results: boxed table, JSON and CSV.
 * Pure: results in, text out.
 *
 * @module
 */
import { boxTable, cellText, csvTable } from "../core/tables.ts";
import type { Cell, QueryResult } from "./duckdb.ts";

/** Text of one cell for tables and CSV (null is empty, objects as JSON). */
export { cellText };

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/** True for DuckDB types shown right-aligned. */
export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

/** A boxed plain-text table, numbers right-aligned, with a row count below. */
export function formatTable(result: QueryResult): string {
  return boxTable({
    columns: result.columns,
    rows: result.rows.map((r) => r.map(cellText)),
    right: result.types.map(isNumericType),
  });
}

/** RFC 4180 CSV with a header line, ending with a newline; fields quoted only when needed. */
export function formatCsv(result: QueryResult): string {
  return csvTable(result.columns, result.rows.map((r) => r.map(cellText))) + "\n";
}

/** Rows as objects keyed by column name. */
export function rowObjects(result: QueryResult): Record<string, Cell>[] {
  return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i]!])));
}

/** JSON of several named results: `{ "<name>": [ {column: value, …}, … ], … }`. */
export function formatJson(results: readonly { name: string; result: QueryResult }[]): string {
  return JSON.stringify(
    Object.fromEntries(results.map(({ name, result }) => [name, rowObjects(result)])),
    (_k, v) =>
      typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v,
    2,
  ) + "\n";
}

/**
 * Renders named results in one of the text formats.
 *
 * @example
 * ```ts
 * const text = formatResults([{ name: "count", title: "Events", result }], "table");
 * ```
 */
export function formatResults(
  results: readonly { name: string; title: string; result: QueryResult }[],
  format: "table" | "json" | "csv",
): string {
  if (format === "json") return formatJson(results);
  if (format === "csv") {
    // One report is plain CSV; several are separated by a "# name" line each.
    if (results.length === 1) return formatCsv(results[0]!.result);
    return results.map((r) => `# ${r.name}\n${formatCsv(r.result)}`).join("\n");
  }
  return results.map((r) => `${r.title} (${r.name})\n${formatTable(r.result)}`).join("\n\n") + "\n";
}
