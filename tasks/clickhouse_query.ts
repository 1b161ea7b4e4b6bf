/**
 * `deno task clickhouse:query [NAME...]` — runs the seed's example queries
 * (sql/clickhouse/queries/NAME.sql) and prints them as a table, JSON or CSV.
 *
 * @module
 */
import { parseCommand, runMain, UserError } from "../lib/cli.ts";
import { loadConfig } from "../lib/config.ts";
import {
  checkTablePrefix,
  ClickHouseClient,
  formatResult,
  INGEST_DEFAULTS,
  listQueries,
  OUTPUT_FORMATS,
  type OutputFormat,
  runQuery,
} from "../lib/clickhouse.ts";

const spec = {
  name: "clickhouse:query",
  summary: "Run the seed's example ClickHouse queries",
  usage: "[NAME...] [flags]",
  positionals: true,
  options: {
    list: { type: "boolean" },
    format: { type: "string", default: "table" },
    prefix: { type: "string" },
  },
  help: {
    list: "List the query names and what they show",
    format: "Output format: table, json or csv",
    prefix: "Prefix of the table names (as given to clickhouse:init)",
  },
  epilog: "Without NAME, runs every query. Connection: CLICKHOUSE_URL, CLICKHOUSE_USER, " +
    "CLICKHOUSE_PASSWORD (.env).",
} as const;

await runMain(async () => {
  const { values, positionals } = parseCommand(spec, Deno.args);
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) {
    throw new UserError(`--format has "${values.format}"; expected ${OUTPUT_FORMATS.join(", ")}`);
  }
  const prefix = checkTablePrefix(values.prefix ?? INGEST_DEFAULTS.prefix);
  const queries = await listQueries();
  if (values.list) {
    const w = Math.max(...queries.map((q) => q.name.length));
    for (const q of queries) console.log(`${q.name.padEnd(w)}  ${q.description}`);
    return;
  }
  const byName = new Map(queries.map((q) => [q.name, q]));
  const chosen = positionals.length === 0 ? queries : positionals.map((n) => {
    const q = byName.get(n);
    if (!q) {
      throw new UserError(`no query "${n}"; known: ${queries.map((x) => x.name).join(", ")}`);
    }
    return q;
  });
  const client = new ClickHouseClient(loadConfig().clickhouse);
  if (format === "json" && chosen.length > 1) {
    // Several queries in JSON: one object keyed by query name, so the output stays one document.
    const out: Record<string, unknown> = {};
    for (const q of chosen) out[q.name] = (await runQuery(client, q, prefix)).data;
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  for (const [i, q] of chosen.entries()) {
    const result = await runQuery(client, q, prefix);
    if (chosen.length > 1) console.log(`${i ? "\n" : ""}-- ${q.name}: ${q.description}`);
    console.log(formatResult(result, format));
  }
});
