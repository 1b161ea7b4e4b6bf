/**
 * The commands of `deno task stack` (up, down, status, logs) over the chosen
 * services, printing what they do and returning the exit code.
 *
 * @module
 */
import { loadConfig } from "../core/env.ts";
import { UserError } from "../core/errors.ts";
import { chooseStack, prepareStack } from "./harness.ts";
import { logFile, type StackPaths, tail } from "./processes.ts";
import { resolveServices, type ServiceName } from "./services.ts";
import { defaultPaths, down, type ServiceStatus, serviceStatus, strayKafka } from "./stack.ts";

/** Options of {@link stackCommand}, from the task's flags. */
export interface StackCommandOptions {
  /** The services named on the command line [all]; `kafka` means every node of a cluster. */
  services: readonly ServiceName[];
  /** up: seconds to wait for each service (checked to be positive by `up`). */
  timeoutSec: number;
  /** logs: how many lines of each log. */
  lines: number;
  /** up: print only problems. */
  quiet: boolean;
  say: (line: string) => void;
  /** Where the stack lives [{@link defaultPaths}]. */
  paths?: StackPaths;
}

const COMMANDS: readonly string[] = ["up", "down", "status", "logs"];

/** The `status` table: one line per service with endpoint, pid and health. */
export function statusLines(rows: readonly ServiceStatus[]): string[] {
  const lines = [`${"SERVICE".padEnd(11)}${"ENDPOINT".padEnd(26)}${"PID".padEnd(9)}HEALTH`];
  for (const r of rows) {
    const pid = r.pid ? String(r.pid) : r.healthy ? "external" : "-";
    const health = r.healthy ? "up" : `down (${r.detail.split("\n")[0]})`;
    lines.push(`${r.name.padEnd(11)}${r.endpoint.padEnd(26)}${pid.padEnd(9)}${health}`);
  }
  return lines;
}

/**
 * Runs one `deno task stack` command and returns its exit code (`status`: 1
 * when a service is down). Throws UserError for a missing or unknown command.
 *
 * @example
 * ```ts
 * const code = await stackCommand("status", {
 *   services: [], timeoutSec: 180, lines: 40, quiet: false, say: console.log,
 * });
 * ```
 */
export async function stackCommand(
  command: string | undefined,
  opts: StackCommandOptions,
): Promise<number> {
  if (command === undefined) throw new UserError(`Missing command; run "deno task stack --help"`);
  if (!COMMANDS.includes(command)) {
    throw new UserError(`Unknown command "${command}"; expected up, down, status or logs`);
  }
  const cfg = loadConfig();
  const services = resolveServices(opts.services, cfg);
  const paths = opts.paths ?? defaultPaths();
  const say = opts.say;
  switch (command) {
    case "up": {
      const timeoutSec = opts.timeoutSec;
      if (!(timeoutSec > 0)) throw new UserError(`--timeout must be a positive number of seconds`);
      const quiet = opts.quiet ? () => {} : say;
      await prepareStack(chooseStack(), { paths, cfg, timeoutSec, say: quiet, services });
      return 0;
    }
    case "down": {
      // Kafka started under another KAFKA_NODES is ours too: `down` stops it with the rest.
      const kafka = services.some((s) => s.startsWith("kafka"));
      const stray = kafka ? (await strayKafka(paths, cfg)).map((s) => s.name) : [];
      await down(paths, say, [...services, ...stray]);
      return 0;
    }
    case "status": {
      const rows = await Promise.all(services.map((s) => serviceStatus(paths, cfg, s)));
      for (const line of statusLines(rows)) say(line);
      return rows.every((r) => r.healthy) ? 0 : 1;
    }
    case "logs":
      for (const s of services) {
        say(`==> ${logFile(paths, s)} <==`);
        say(await tail(logFile(paths, s), opts.lines));
      }
      return 0;
    default:
      throw new UserError(`Unknown command "${command}"; expected up, down, status or logs`);
  }
}
