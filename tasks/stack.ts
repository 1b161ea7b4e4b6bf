/**
 * `deno task stack up|down|status|logs [SERVICE…]` — the native local stack.
 *
 * @module
 */
import { loadConfig } from "../lib/config.ts";
import { parseCommand, runMain, UserError } from "../lib/cli.ts";
import { chooseStack, prepareStack } from "../lib/harness.ts";
import {
  defaultPaths,
  down,
  logFile,
  type ServiceName,
  SERVICES,
  serviceStatus,
  tail,
} from "../lib/stack.ts";

const spec = {
  name: "stack",
  summary:
    "Runs the real local stack without Docker: Kafka (KRaft), an S3 server (versitygw), ClickHouse.",
  usage: "up|down|status|logs [kafka|s3|clickhouse…] [flags]",
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
  const only = rest.map((s) => {
    if (!(SERVICES as readonly string[]).includes(s)) {
      throw new UserError(`Unknown service "${s}"; expected one of ${SERVICES.join(", ")}`);
    }
    return s as ServiceName;
  });
  const services = only.length ? only : SERVICES;
  const paths = defaultPaths();
  const say = (line: string) => console.log(line);
  switch (command) {
    case "up": {
      const cfg = loadConfig();
      const timeoutSec = Number(values.timeout);
      if (!(timeoutSec > 0)) throw new UserError(`--timeout must be a positive number of seconds`);
      const quiet = values.quiet ? () => {} : say;
      await prepareStack(chooseStack((k) => Deno.env.get(k)), {
        paths,
        cfg,
        timeoutSec,
        say: quiet,
        services,
      });
      return 0;
    }
    case "down":
      await down(paths, say, services);
      return 0;
    case "status": {
      const cfg = loadConfig();
      const rows = await Promise.all(services.map((s) => serviceStatus(paths, cfg, s)));
      console.log(`${"SERVICE".padEnd(11)}${"ENDPOINT".padEnd(26)}${"PID".padEnd(9)}HEALTH`);
      for (const r of rows) {
        const pid = r.pid ? String(r.pid) : r.healthy ? "external" : "-";
        const health = r.healthy ? "up" : `down (${r.detail.split("\n")[0]})`;
        console.log(`${r.name.padEnd(11)}${r.endpoint.padEnd(26)}${pid.padEnd(9)}${health}`);
      }
      return rows.every((r) => r.healthy) ? 0 : 1;
    }
    case "logs":
      for (const s of services) {
        console.log(`==> ${logFile(paths, s)} <==`);
        console.log(await tail(logFile(paths, s), Number(values.lines)));
      }
      return 0;
    case undefined:
      throw new UserError(`Missing command; run "deno task stack --help"`);
    default:
      throw new UserError(`Unknown command "${command}"; expected up, down, status or logs`);
  }
});
