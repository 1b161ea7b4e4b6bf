/**
 * Which stack the tests and the demo run against, chosen by the `STACK`
 * environment variable:
 *
 * - `native` (default): the native local stack of `lib/stack/stack.ts` (services
 *   already answering are used as they are);
 * - `docker`: the services of `docker-compose.yaml`, started with Docker
 *   Compose (for machines with a Docker engine; CI runs the native path);
 * - `external`: whatever answers at the configured endpoints; nothing is
 *   started, a service that does not answer is an error.
 *
 * The docker path runs `docker compose up -d --wait` rather than npm
 * `testcontainers`: the compose file already describes the same services with
 * the same endpoints, and it adds no dependency.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type Config, type Env, stackChoice } from "../core/env.ts";
import { ConfigError, UserError } from "../core/errors.ts";
import { run, sleep } from "../core/process.ts";
import { PrerequisiteError } from "./installers.ts";
import type { StackPaths } from "./processes.ts";
import { type ServiceName, stackServices } from "./services.ts";
import {
  copyEnvExample,
  ensureDefaultBucket,
  type ServiceStatus,
  serviceStatus,
  up,
} from "./stack.ts";

/** The stacks the harness can use. */
export const STACK_KINDS = ["native", "docker", "external"] as const;
/** One of {@link STACK_KINDS}. */
export type StackKind = (typeof STACK_KINDS)[number];

/**
 * Chooses the stack from the environment (`env` for tests, else the real
 * one): `STACK` unset or empty means `native`; case and surrounding blanks are
 * ignored. Throws a ConfigError naming the variable for any other value.
 *
 * @example
 * ```ts
 * await prepareStack(chooseStack(), { paths: defaultPaths(), cfg, timeoutSec: 180, say });
 * ```
 */
export function chooseStack(env?: Env): StackKind {
  const given = stackChoice(env);
  const raw = given?.trim().toLowerCase() ?? "";
  if (raw === "") return "native";
  if ((STACK_KINDS as readonly string[]).includes(raw)) return raw as StackKind;
  throw new ConfigError(
    `STACK has "${given}"; expected ${STACK_KINDS.join(", ")} (default native)`,
  );
}

/** What the machine offers for Docker Compose, as found by {@link detectCompose}. */
export interface ComposeProbe {
  /** `docker compose version` succeeded (the v2 plugin). */
  plugin: boolean;
  /** Output of `docker-compose version`, or undefined when it is not installed. */
  standalone: string | undefined;
}

/**
 * The command line that starts the compose file's services detached: the v2
 * plugin or a v2 standalone binary with `--wait` (health checks), a v1
 * `docker-compose` without it (the harness then waits for the services
 * itself). Undefined when no Compose is installed.
 */
export function composeCommand(probe: ComposeProbe, file: string): string[] | undefined {
  if (probe.plugin) return ["docker", "compose", "-f", file, "up", "-d", "--wait"];
  if (probe.standalone === undefined) return undefined;
  const major = Number(/version v?(\d+)\./i.exec(probe.standalone)?.[1] ?? 1);
  const wait = major >= 2 ? ["--wait"] : [];
  return ["docker-compose", "-f", file, "up", "-d", ...wait];
}

/** Runs a command; a missing program is a failure with a note, not an exception. */
async function output(cmd: string, args: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const out = await run(cmd, args);
    return { ok: out.code === 0, text: out.output };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, text: `${cmd}: not found` };
    throw e;
  }
}

/** Probes which Docker Compose is installed. */
export async function detectCompose(): Promise<ComposeProbe> {
  const [plugin, standalone] = await Promise.all([
    output("docker", ["compose", "version"]),
    output("docker-compose", ["version"]),
  ]);
  return { plugin: plugin.ok, standalone: standalone.ok ? standalone.text : undefined };
}

/** Options of {@link prepareStack}. */
export interface PrepareOptions {
  paths: StackPaths;
  cfg: Config;
  /** Seconds to wait for each service. */
  timeoutSec: number;
  say: (line: string) => void;
  /** The native services to bring up [all]; docker and external check all. */
  services?: readonly ServiceName[];
  /** The compose file for `docker` [docker-compose.yaml beside deno.json]. */
  composeFile?: string;
}

/** Polls the health of every service until all answer or `timeoutSec` passes. */
async function waitHealthy(cfg: Config, paths: StackPaths, timeoutSec: number) {
  const deadline = Date.now() + timeoutSec * 1000;
  let rows: ServiceStatus[] = [];
  do {
    rows = await Promise.all(stackServices(cfg).map((s) => serviceStatus(paths, cfg, s)));
    if (rows.every((r) => r.healthy)) return rows;
    await sleep(1000);
  } while (Date.now() < deadline);
  return rows;
}

function downList(rows: ServiceStatus[]): string {
  return rows.filter((r) => !r.healthy)
    .map((r) => `${r.name} at ${r.endpoint} (${r.detail.split("\n")[0]})`).join("; ");
}

/**
 * Makes the chosen stack answer: `native` starts what is missing, `docker`
 * runs Docker Compose and waits for every service, `external` only checks.
 * Every path ends with the default bucket in place. Throws a UserError naming
 * the services that do not answer.
 */
export async function prepareStack(kind: StackKind, opts: PrepareOptions): Promise<void> {
  const { cfg, paths, say } = opts;
  await copyEnvExample(say);
  if (kind === "native") {
    await up(paths, cfg, { timeoutSec: opts.timeoutSec, say }, opts.services);
    return;
  }
  if (kind === "docker") {
    const info = await output("docker", ["info", "--format", "{{.ServerVersion}}"]);
    if (!info.ok) {
      throw new PrerequisiteError(
        `STACK=docker needs a running Docker engine, and "docker info" failed: ${
          info.text.trim().split("\n").at(-1)
        } (unset STACK to use the native stack)`,
      );
    }
    const file = opts.composeFile ??
      fileURLToPath(new URL("../../docker-compose.yaml", import.meta.url));
    const argv = composeCommand(await detectCompose(), file);
    if (!argv) {
      throw new PrerequisiteError(
        "STACK=docker needs Docker Compose (the `docker compose` plugin or `docker-compose`)",
      );
    }
    say(`docker     ${argv.join(" ")}`);
    const res = await output(argv[0]!, argv.slice(1));
    if (!res.ok) throw new UserError(`${argv.join(" ")} failed:\n${res.text.slice(-2000)}`);
  }
  const rows = await waitHealthy(cfg, paths, kind === "external" ? 0 : opts.timeoutSec);
  if (!rows.every((r) => r.healthy)) {
    throw new UserError(
      `STACK=${kind}: not answering: ${downList(rows)}${
        kind === "external" ? " (STACK=external starts nothing)" : ""
      }`,
    );
  }
  for (const r of rows) say(`${r.name.padEnd(10)} answering at ${r.endpoint}`);
  await ensureDefaultBucket(cfg, say);
}
