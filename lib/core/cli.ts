/**
 * What every task shares: flag parsing with `--help`, and one place that turns
 * user mistakes into a one-line message and an exit code instead of a stack trace.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { isUserError, UserError } from "./errors.ts";

/** Description of a task's command line, used for parsing and for `--help`. */
export interface CommandSpec<O extends NonNullable<ParseArgsConfig["options"]>> {
  /** `deno task <name>` */
  name: string;
  /** One-line summary shown first in `--help`. */
  summary: string;
  /** Usage line after the task name, e.g. `[REPORT...] [flags]`. */
  usage?: string;
  /** Flags; each needs a `help` text, `default` is shown in brackets. */
  options: O;
  help: { [K in keyof O]: string };
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
  /** Extra text appended to `--help`. */
  epilog?: string;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Renders the `--help` text for a command. */
export function helpText<O extends Options>(spec: CommandSpec<O>): string {
  const lines = [
    spec.summary,
    "",
    `Usage: deno task ${spec.name} ${spec.usage ?? "[flags]"}`,
    "",
    "Flags:",
  ];
  const entries = Object.entries(spec.options);
  const labels = entries.map(([name, o]) =>
    `  ${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? " VALUE" : ""}`
  );
  const width = Math.max(...labels.map((l) => l.length), "  -h, --help".length) + 2;
  entries.forEach(([name, o], i) => {
    const def = o.default !== undefined && o.type === "string" ? ` [${String(o.default)}]` : "";
    lines.push(`${labels[i]!.padEnd(width)}${spec.help[name as keyof O]}${def}`);
  });
  lines.push(`${"  -h, --help".padEnd(width)}Show this help and exit`);
  if (spec.epilog) lines.push("", spec.epilog);
  return lines.join("\n");
}

/**
 * Parses `args` against `spec`. Prints help and exits 0 on `--help`; throws
 * UserError on an unknown flag or missing value.
 */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, args: string[]) {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText(spec));
    Deno.exit(0);
  }
  try {
    return parseArgs({
      args,
      options: spec.options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UserError(`${msg}; run "deno task ${spec.name} --help" for the flags`);
  }
}

/**
 * Runs a task's main function: exit code 0 on success, 1 with a one-line
 * message on a user error, 1 with the stack on a bug. The process ends right
 * there (`Deno.exit`), which also stops work main left behind (kafkajs retrying
 * a send it gave up). Deno's normal shutdown lets its worker threads exit
 * while DuckDB's httpfs extension cleans up OpenSSL at exit, and the process
 * aborted with "double free or corruption" after its output was written (1 run
 * in about 100 of `analyze --html`); `Deno.exit` leaves those threads parked
 * (0 in 300).
 *
 * @example
 * ```ts
 * runMain(async () => {
 *   const { values } = parseCommand(spec, Deno.args);
 *   return values.verbose ? 0 : 1;
 * });
 * ```
 */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    Deno.exitCode = code ?? 0;
  } catch (e) {
    if (isUserError(e)) {
      console.error(`error: ${e.message}`);
    } else {
      console.error(e);
    }
    Deno.exitCode = 1;
  }
  Deno.exit(Deno.exitCode);
}
