/**
 * `deno task clickhouse:query [NAME...]` — runs the seed's example queries
 * (sql/clickhouse/queries/NAME.sql) and prints them as a table, JSON or CSV.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { ClickHouseClient } from "../lib/clickhouse/client.ts";
import { INGEST_DEFAULTS } from "../lib/clickhouse/ingest.ts";
import {
  chooseQueries,
  listQueries,
  parseOutputFormat,
  queryList,
  runQueries,
} from "../lib/clickhouse/queries.ts";
import { checkTablePrefix } from "../lib/clickhouse/sql.ts";

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
  const format = parseOutputFormat(values.format);
  const prefix = checkTablePrefix(values.prefix ?? INGEST_DEFAULTS.prefix);
  const queries = await listQueries();
  if (values.list) {
    for (const line of queryList(queries)) console.log(line);
    return;
  }
  const chosen = chooseQueries(queries, positionals);
  const client = new ClickHouseClient(loadConfig().clickhouse);
  await runQueries(client, chosen, { prefix, format, print: (text) => console.log(text) });
});
