/**
 * The native local stack: Apache Kafka (KRaft, one node or a cluster of
 * `KAFKA_NODES`, jars from Maven Central), an S3
 * server (versitygw, built with `go install`) and ClickHouse 26 (the engine of
 * PyPI's `chdb-core`, served over HTTP by `lib/stack/clickhouse_server.py`), run
 * as plain processes of the user, without Docker and without root. This module
 * brings them up, down, and reports their status.
 *
 * Downloads and builds are cached per user (`$XDG_CACHE_HOME/music-pipeline`);
 * data, pids and logs live in `.stack/` in the repository (git-ignored). A
 * service that already answers at the configured endpoint (for example from
 * docker compose) is used as it is.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { cacheDir, type Config, MAX_KAFKA_NODES, stateDirOverride } from "../core/env.ts";
import { UserError } from "../core/errors.ts";
import { sleep } from "../core/process.ts";
import { createS3Client, ensureBucket } from "../lake/s3.ts";
import { prepareService } from "./prepare.ts";
import {
  alive,
  logFile,
  ourPid,
  spawnDetached,
  type StackPaths,
  stopService,
  tail,
} from "./processes.ts";
import {
  endpointOf,
  healthProblem,
  hostPortOf,
  portOpen,
  type ServiceName,
  SERVICES,
  stackServices,
} from "./services.ts";

export type { StackPaths } from "./processes.ts";

/** Default paths: per-user cache, `.stack/` beside the repository's deno.json. */
export function defaultPaths(): StackPaths {
  const cache = cacheDir();
  const state = stateDirOverride() ?? fileURLToPath(new URL("../../.stack", import.meta.url));
  return { cache, state };
}

/** What `status` reports for one service. */
export interface ServiceStatus {
  name: ServiceName;
  endpoint: string;
  /** Pid of the process this project started, when it is alive. */
  pid: number | undefined;
  healthy: boolean;
  /** Health problem, when not healthy. */
  detail: string;
}

/** Health and ownership of one service. */
export async function serviceStatus(
  paths: StackPaths,
  cfg: Config,
  name: ServiceName,
): Promise<ServiceStatus> {
  const [pid, problem] = await Promise.all([ourPid(paths, name), healthProblem(name, cfg)]);
  return {
    name,
    endpoint: endpointOf(name, cfg),
    pid,
    healthy: problem === null,
    detail: problem ?? "",
  };
}

/** Options of `up`. */
export interface UpOptions {
  /** Seconds to wait for each service to answer. */
  timeoutSec: number;
  say: (line: string) => void;
}

/** The start-up failure of a service, with the end of its log. */
async function startFailure(paths: StackPaths, name: ServiceName, what: string) {
  const log = logFile(paths, name);
  return new UserError(`${name} ${what}. Last lines of ${log}:\n${await tail(log)}`);
}

/**
 * Brings one service up: uses one that already answers, otherwise prepares and
 * starts ours and waits until it answers a real request.
 */
export async function upService(
  paths: StackPaths,
  cfg: Config,
  name: ServiceName,
  opts: UpOptions,
): Promise<void> {
  const say = (s: string) => opts.say(`${name.padEnd(10)} ${s}`);
  const endpoint = endpointOf(name, cfg);
  await Deno.mkdir(`${paths.state}/${name}`, { recursive: true });
  let pid = await ourPid(paths, name);
  if ((await healthProblem(name, cfg)) === null) {
    say(pid ? `running at ${endpoint} (pid ${pid})` : `already answering at ${endpoint}; using it`);
    return;
  }
  if (!pid) {
    const { host, port } = hostPortOf(name, cfg);
    if (await portOpen(host, port)) {
      throw new UserError(
        `${name}: ${host}:${port} is in use by another program that does not answer as ${name} (check the port, or the credentials in .env)`,
      );
    }
    const { argv, env } = await prepareService(name, paths, cfg, say);
    pid = await spawnDetached(paths, name, argv, env);
    say(`started (pid ${pid}), waiting for it to answer at ${endpoint}…`);
  } else {
    say(`pid ${pid} is running but not answering yet; waiting…`);
  }
  const deadline = Date.now() + opts.timeoutSec * 1000;
  let problem: string | null = "not checked";
  while (Date.now() < deadline) {
    // Not ourPid(): its command line reads empty for a moment while the process execs.
    if (!(await alive(pid))) throw await startFailure(paths, name, "exited during start-up");
    problem = await healthProblem(name, cfg);
    if (problem === null) break;
    await sleep(500);
  }
  if (problem !== null) {
    throw await startFailure(
      paths,
      name,
      `did not answer at ${endpoint} within ${opts.timeoutSec}s (${problem})`,
    );
  }
  say(`up at ${endpoint} (pid ${pid})`);
}

/**
 * Our Kafka processes of another layout: started with a different
 * `KAFKA_NODES` and still running (the single node `kafka` while `cfg` asks
 * for `kafka-1`…, or the other way round). The first of them holds the ports
 * the new layout's first node needs, and would answer in its place.
 */
export async function strayKafka(
  paths: StackPaths,
  cfg: Config,
): Promise<{ name: ServiceName; pid: number }[]> {
  const current = new Set(stackServices(cfg));
  const names: ServiceName[] = [
    "kafka",
    ...Array.from({ length: MAX_KAFKA_NODES }, (_, i) => `kafka-${i + 1}` as const),
  ];
  const out = [];
  for (const name of names.filter((n) => !current.has(n))) {
    const pid = await ourPid(paths, name);
    if (pid) out.push({ name, pid });
  }
  return out;
}

/** Creates the configured bucket when it is missing, and says so. */
export async function ensureDefaultBucket(cfg: Config, say: (line: string) => void) {
  const client = createS3Client(cfg.s3);
  try {
    if (await ensureBucket(client, cfg.s3.bucket)) {
      say(`${"s3".padEnd(10)} created bucket "${cfg.s3.bucket}"`);
    }
  } finally {
    client.destroy();
  }
}

/**
 * Brings services up (in parallel; all by default) and creates the default bucket.
 *
 * @example
 * ```ts
 * await up(defaultPaths(), loadConfig(), { timeoutSec: 180, say: console.log });
 * ```
 */
export async function up(
  paths: StackPaths,
  cfg: Config,
  opts: UpOptions,
  only: readonly ServiceName[] = stackServices(cfg),
): Promise<void> {
  await Deno.mkdir(paths.state, { recursive: true });
  const stray = only.some((s) => s.startsWith("kafka")) ? await strayKafka(paths, cfg) : [];
  if (stray.length > 0) {
    throw new UserError(
      `Our Kafka from another KAFKA_NODES is still running (${
        stray.map((s) => `${s.name}, pid ${s.pid}`).join("; ")
      }); stop it first with "deno task stack down kafka", then run "stack up" again`,
    );
  }
  const results = await Promise.allSettled(only.map((s) => upService(paths, cfg, s, opts)));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length > 0) {
    const [first, ...rest] = failed.map((f) => f.reason);
    for (const r of rest) opts.say(`error: ${(r as Error).message}`);
    throw first;
  }
  if (only.includes("s3")) await ensureDefaultBucket(cfg, opts.say);
}

/**
 * Stops the services this project started (by pid); leaves others alone. The
 * default list is the one-node layout; pass {@link stackServices} for a cluster.
 */
export async function down(
  paths: StackPaths,
  say: (line: string) => void,
  only: readonly ServiceName[] = SERVICES,
): Promise<void> {
  await Promise.all(only.map(async (name) => {
    const r = await stopService(paths, name);
    const label = name.padEnd(10);
    if (r.kind === "none") say(`${label} not running (nothing of ours to stop)`);
    else if (r.kind === "killed") say(`${label} killed (pid ${r.pid}) after 30 s without exiting`);
    else say(`${label} stopped (pid ${r.pid})`);
  }));
}

/** A fresh checkout has no `.env`; start it from the example so every task finds one. */
export async function copyEnvExample(say: (s: string) => void): Promise<void> {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  try {
    await Deno.stat(`${root}.env`);
  } catch {
    try {
      await Deno.copyFile(`${root}.env.example`, `${root}.env`);
      say("created .env from .env.example");
    } catch { /* no example either: defaults apply */ }
  }
}
