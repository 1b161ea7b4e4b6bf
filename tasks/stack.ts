/**
 * `deno task stack up|down|status|logs [SERVICE…]` — the native local stack.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { stackCommand } from "../lib/stack/command.ts";
import { parseServices } from "../lib/stack/services.ts";

const spec = {
  name: "stack",
  summary:
    "Runs the real local stack without Docker: Kafka (KRaft), an S3 server (versitygw), ClickHouse.",
  usage: "up|down|status|logs [kafka|kafka-N|s3|clickhouse…] [flags]",
  positionals: true,
  options: {
    timeout: { type: "string", default: "180" },
    lines: { type: "string", default: "40" },
    quiet: { type: "boolean", short: "q" },
  },
  help: {
    timeout: "up: seconds to wait for each service to answer",
    lines: "logs: how many lines of each log to show",
    quiet: "up: print only problems",
  },
  epilog: [
    "Commands:",
    "  up      install/build what is missing (cached), start what is not answering, create the bucket",
    "  down    stop the processes this project started (by pid); leave others alone",
    "  status  each service, endpoint, pid and health; exit 1 if any is down",
    "  logs    the last lines of each service's log",
    "",
    "A service already answering at its configured endpoint (e.g. docker compose) is used as is.",
    "STACK=native (default) starts the native stack; STACK=docker runs docker compose;",
    "STACK=external only checks that the configured endpoints answer.",
  ].join("\n"),
} as const;

runMain(async () => {
  const { values, positionals } = parseCommand(spec, Deno.args);
  const [command, ...rest] = positionals;
  return await stackCommand(command, {
    services: parseServices(rest),
    timeoutSec: Number(values.timeout),
    lines: Number(values.lines),
    quiet: values.quiet ?? false,
    say: (line) => console.log(line),
  });
});
