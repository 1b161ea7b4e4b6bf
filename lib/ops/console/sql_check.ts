/**
 * What the Analytics page's SQL box may run: one SELECT (or WITH … SELECT)
 * statement over `events`, nothing that writes, loads, attaches or changes a
 * setting, and no function that reads files, settings or secrets. DuckDB
 * parses the text itself (`json_serialize_sql`, which only serializes SELECT
 * statements); these pure functions judge the text and the parse tree.
 *
 * @module
 */

/** Most characters a SQL box query may have. */
export const MAX_SQL_CHARS = 20_000;

/**
 * Functions and tables the SQL box refuses: readers of files and URLs (the
 * lake is reached through `events` only), secrets and settings, and
 * `query()`, which would run a statement hidden in a string.
 */
export const DENIED_NAMES: ReadonlySet<string> = new Set([
  "duckdb_secrets",
  "which_secret",
  "duckdb_settings",
  "current_setting",
  "getenv",
  "query",
  "query_table",
  "glob",
  "sniff_csv",
  "duckdb_extensions",
  // Run SQL hidden in a string, past every name checked here.
  "json_execute_serialized_sql",
  "json_deserialize_sql",
]);

/** Name prefixes the SQL box refuses (file readers and metadata of files). */
export const DENIED_PREFIXES: readonly string[] = [
  "read_",
  "parquet_",
  "iceberg_",
  "delta_",
  "http",
  "s3",
];

/** Statement keywords refused anywhere outside string literals and quoted names. */
const WRITE_WORDS =
  /\b(copy|attach|detach|install|load|set|reset|pragma|create|insert|update|delete|drop|alter|export|import|call|checkpoint|vacuum|truncate|merge|grant|begin|commit|rollback)\b/i;

/**
 * The text with string literals, quoted identifiers and comments blanked out,
 * so keyword checks see only SQL words.
 */
export function stripLiterals(sql: string): string {
  return sql.replace(
    /'(?:[^']|'')*'?|"(?:[^"]|"")*"?|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g,
    (m) => " ".repeat(m.length),
  );
}

/** Checks the text before DuckDB sees it; returns why it is refused, or undefined. */
export function checkSqlText(sql: string): string | undefined {
  const text = sql.trim();
  if (text === "") return "the query is empty";
  if (text.length > MAX_SQL_CHARS) return `the query is longer than ${MAX_SQL_CHARS} characters`;
  const bare = stripLiterals(text).trim().replace(/;\s*$/, "");
  if (bare.includes(";")) return "only one statement is allowed";
  if (!/^\(*\s*(select|with)\b/i.test(bare)) {
    return "only a SELECT (or WITH … SELECT) statement is allowed";
  }
  const w = WRITE_WORDS.exec(bare);
  if (w) return `"${w[1]!.toUpperCase()}" is not allowed in the SQL box (read-only SELECT only)`;
  return undefined;
}

/** Every function and table name in a `json_serialize_sql` parse tree (lower case). */
export function referencedNames(tree: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if ((k === "function_name" || k === "table_name") && typeof x === "string") {
          out.add(x.toLowerCase());
        }
        walk(x);
      }
    }
  };
  walk(tree);
  return [...out];
}

/**
 * Judges DuckDB's parse of the query (the JSON text `json_serialize_sql`
 * returned): a parse error, not exactly one statement, or a refused name
 * gives the reason; undefined when it may run.
 */
export function checkParseTree(json: string): string | undefined {
  let tree: { error?: boolean; error_message?: string; statements?: unknown[] };
  try {
    tree = JSON.parse(json);
  } catch {
    return "the query could not be parsed";
  }
  if (tree.error) {
    const msg = tree.error_message ?? "syntax error";
    return /Only SELECT statements/i.test(msg)
      ? "only a SELECT (or WITH … SELECT) statement is allowed"
      : msg.split("\n")[0];
  }
  if ((tree.statements ?? []).length !== 1) return "exactly one statement is allowed";
  for (const name of referencedNames(tree.statements)) {
    const isPath = /[/:\\]/.test(name);
    if (isPath || DENIED_NAMES.has(name) || DENIED_PREFIXES.some((p) => name.startsWith(p))) {
      return `"${name}" is not allowed in the SQL box; query the view "events"`;
    }
  }
  return undefined;
}
