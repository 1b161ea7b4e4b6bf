/**
 * Plain-text and CSV tables for query results, shared by DuckDB reports and
 * ClickHouse queries. Cells arrive as strings; callers decide alignment.
 *
 * @module
 */

/** A rendered table: column names, cell text per row, and which columns are right-aligned. */
export interface TextTable {
  columns: readonly string[];
  rows: readonly (readonly string[])[];
  right: readonly boolean[];
}

/** Text of one cell: empty for null, JSON for objects, else `String(v)`. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function widths(t: TextTable): number[] {
  return t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => r[i]!.length)));
}

function plural(n: number): string {
  return `${n} row${n === 1 ? "" : "s"}`;
}

/**
 * A boxed table with a row count below.
 *
 * @example
 * ```ts
 * boxTable({ columns: ["n"], rows: [["1"]], right: [true] });
 * // ┌───┐ │ n │ ├───┤ │ 1 │ └───┘ 1 row
 * ```
 */
export function boxTable(t: TextTable): string {
  const w = widths(t);
  const line = (cells: readonly string[], alignRight: readonly boolean[]) =>
    "│ " +
    cells.map((c, i) => alignRight[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!)).join(" │ ") +
    " │";
  const rule = (l: string, m: string, r: string) => l + w.map((n) => "─".repeat(n + 2)).join(m) + r;
  return [
    rule("┌", "┬", "┐"),
    line(t.columns, t.columns.map(() => false)),
    rule("├", "┼", "┤"),
    ...t.rows.map((r) => line(r, t.right)),
    rule("└", "┴", "┘"),
    plural(t.rows.length),
  ].join("\n");
}

/** Columns separated by two spaces under a dashed rule, with `(N rows)` below. */
export function plainTable(t: TextTable): string {
  const w = widths(t);
  const line = (r: readonly string[]) =>
    r.map((c, i) => (t.right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join("  ").trimEnd();
  return [
    line(t.columns),
    w.map((n) => "-".repeat(n)).join("  "),
    ...t.rows.map(line),
    `(${plural(t.rows.length)})`,
  ].join("\n");
}

/** RFC 4180 CSV with a header line (no trailing newline); fields quoted only when needed. */
export function csvTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const field = (s: string) => /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  return [columns, ...rows].map((r) => r.map(field).join(",")).join("\n");
}
