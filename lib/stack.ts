/**
 * The native local stack: Apache Kafka (KRaft, jars from Maven Central), an S3
 * server (versitygw, built with `go install`) and ClickHouse 26 (the engine of
 * PyPI's `chdb-core`, served over HTTP by `stack/clickhouse_server.py`), run as
 * plain processes of the user, without Docker and without root.
 *
 * Downloads and builds are cached per user (`$XDG_CACHE_HOME/music-pipeline`);
 * data, pids and logs live in `.stack/` in the repository (git-ignored). A
 * service that already answers at the configured endpoint (for example from
 * docker compose) is used as it is.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { cacheDir, parseHostPort } from "./config.ts";
import { UserError } from "./cli.ts";
import { createS3Client, ensureBucket, listBuckets } from "./s3.ts";
import { createKafka } from "./kafka.ts";
import { ClickHouseClient } from "./clickhouse.ts";

/** Pinned versions of what the stack downloads or builds. */
export const VERSIONS = {
  kafka: "4.4.0",
  slf4j: "2.0.17",
  versitygw: "v1.7.0",
  chdbCore: "26.9.0",
} as const;

/** Names of the stack's services. */
export type ServiceName = "kafka" | "s3" | "clickhouse";
/** All services, in start order. */
export const SERVICES: readonly ServiceName[] = ["kafka", "s3", "clickhouse"];

/** Where the stack keeps downloads (cache) and runtime files (state). */
export interface StackPaths {
  cache: string;
  state: string;
}

/** Default paths: per-user cache, `.stack/` beside the repository's deno.json. */
export function defaultPaths(): StackPaths {
  const cache = cacheDir();
  const state = Deno.env.get("STACK_STATE_DIR") ??
    new URL("../.stack", import.meta.url).pathname;
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

/** Thrown when a tool the stack needs is missing; its message says what to install. */
export class PrerequisiteError extends UserError {
  override name = "PrerequisiteError";
}

// ---------------------------------------------------------------- health checks

/** Kafka answers a metadata request (describeCluster). */
async function kafkaHealth(cfg: Config): Promise<string | null> {
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "stack-health", probe: true });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    return c.brokers.length > 0 ? null : "no brokers in metadata";
  } catch (e) {
    return (e as Error).message;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** S3 answers ListBuckets signed with the configured keys. */
async function s3Health(cfg: Config): Promise<string | null> {
  const client = createS3Client(cfg.s3, { timeoutMs: 3000 });
  try {
    await listBuckets(client);
    return null;
  } catch (e) {
    return (e as Error).message || (e as Error).name;
  } finally {
    client.destroy();
  }
}

/** ClickHouse answers a query (`SELECT version()`) as the configured user. */
async function clickhouseHealth(cfg: Config): Promise<string | null> {
  try {
    await new ClickHouseClient({ ...cfg.clickhouse, timeoutMs: 3000 }).version();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const HEALTH: Record<ServiceName, (cfg: Config) => Promise<string | null>> = {
  kafka: kafkaHealth,
  s3: s3Health,
  clickhouse: clickhouseHealth,
};

/** The `host:port` or URL each service is expected at. */
export function endpointOf(name: ServiceName, cfg: Config): string {
  switch (name) {
    case "kafka":
      return cfg.kafkaBrokers[0] ?? "";
    case "s3":
      return cfg.s3.endpoint;
    case "clickhouse":
      return cfg.clickhouse.url;
  }
}

function hostPortOf(name: ServiceName, cfg: Config): { host: string; port: number } {
  const ep = endpointOf(name, cfg);
  if (name === "kafka") return parseHostPort(ep, "KAFKA_BROKERS");
  const url = new URL(ep);
  return { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)) };
}

// ---------------------------------------------------------------- processes

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function pidFile(paths: StackPaths, name: ServiceName): string {
  return `${paths.state}/${name}/pid`;
}

/** Log file of a service (its stdout and stderr). */
export function logFile(paths: StackPaths, name: ServiceName): string {
  return `${paths.state}/${name}/${name}.log`;
}

/** State and command line of a process via `ps` (Deno needs --allow-all to read /proc). */
async function psInfo(pid: number): Promise<{ zombie: boolean; args: string } | undefined> {
  const res = await run("ps", ["-o", "stat=,args=", "-p", String(pid)]);
  const line = res.output.trim();
  if (res.code !== 0 || line === "") return undefined;
  return { zombie: line.startsWith("Z"), args: line };
}

/** The pid we recorded for a service, if that process is alive and still ours. */
export async function ourPid(paths: StackPaths, name: ServiceName): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile(paths, name))).trim());
  } catch {
    return undefined;
  }
  const info = await psInfo(pid);
  // A recycled pid would not mention our state directory on its command line.
  return info && !info.zombie && info.args.includes(`${paths.state}/${name}`) ? pid : undefined;
}

/** True while the process exists and is not a zombie. */
async function alive(pid: number): Promise<boolean> {
  const info = await psInfo(pid);
  return info !== undefined && !info.zombie;
}

async function portOpen(host: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion; returns its exit code and combined output. */
async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/**
 * The line of a failed download's output that says why (pip's `ERROR:`, Maven's
 * `[ERROR]`, go's `go: …`), for a one-sentence message; the whole output goes
 * to `log`.
 */
export function failureLine(output: string): string {
  const lines = output.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const why = lines.find((l) => /^(ERROR:|\[ERROR\]|go: |error:|fatal:)/i.test(l)) ?? lines.at(-1);
  return (why ?? "no output").replace(/^(ERROR:|\[ERROR\])\s*/i, "").slice(0, 300);
}

/** Throws a one-sentence UserError for a failed install step, keeping its output in a log. */
async function installFailed(
  paths: StackPaths,
  what: string,
  output: string,
  hint: string,
): Promise<never> {
  const log = `${paths.state}/install.log`;
  await Deno.mkdir(paths.state, { recursive: true });
  await Deno.writeTextFile(log, `--- ${new Date().toISOString()} ${what}\n${output}\n`, {
    append: true,
  });
  throw new UserError(`Could not ${what}: ${failureLine(output)} (${hint}; full output in ${log})`);
}

async function which(cmd: string): Promise<string | undefined> {
  const found = await run("sh", ["-c", `command -v ${cmd}`]).catch(() => ({ code: 1, output: "" }));
  return found.code === 0 ? found.output.trim() : undefined;
}

/** Last `lines` lines of a file, or a note when it does not exist. */
export async function tail(path: string, lines = 30): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return `(no log at ${path})`;
  }
}

/**
 * Starts a long-running process detached from us (own session, output to its
 * log file) and records its pid.
 */
async function spawnDetached(
  paths: StackPaths,
  name: ServiceName,
  argv: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const log = logFile(paths, name);
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  // setsid: the service survives the end of this task and gets no terminal signals.
  const script = `setsid ${quoted} >>'${log}' 2>&1 </dev/null & echo $!`;
  const res = await run("sh", ["-c", script], { env });
  const pid = Number(res.output.trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new Error(`Could not start ${name}: ${res.output}`);
  }
  await Deno.writeTextFile(pidFile(paths, name), `${pid}\n`);
  return pid;
}

// ---------------------------------------------------------------- preparation

/** Checks for Java ≥ 17 and returns the `java` path. */
async function needJava(): Promise<string> {
  const java = await which("java");
  if (!java) {
    throw new PrerequisiteError(
      "Kafka needs Java 17 or newer and `java` was not found: install it (Debian: `apt-get install openjdk-17-jre-headless`) and run again.",
    );
  }
  const v = await run(java, ["-version"]);
  const major = Number(/version "(\d+)/.exec(v.output)?.[1] ?? 0);
  if (major < 17) {
    throw new PrerequisiteError(
      `Kafka needs Java 17 or newer, found ${
        major || "an unknown version"
      }: install a newer JDK and run again.`,
    );
  }
  return java;
}

/** Fetches the Kafka broker and tools jars (and an SLF4J binding) from Maven Central, once. */
export async function kafkaLibs(paths: StackPaths, say: (s: string) => void): Promise<string> {
  const dir = `${paths.cache}/kafka-${VERSIONS.kafka}`;
  const libs = `${dir}/libs`;
  if (await exists(`${libs}/.complete`)) return libs;
  const mvn = await which("mvn");
  if (!mvn) {
    throw new PrerequisiteError(
      "Fetching Kafka needs Maven and `mvn` was not found: install it (Debian: `apt-get install maven`) and run again.",
    );
  }
  say(`downloading Apache Kafka ${VERSIONS.kafka} jars from Maven Central (once)…`);
  await Deno.mkdir(dir, { recursive: true });
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  await Deno.writeTextFile(
    `${dir}/pom.xml`,
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local.music-pipeline</groupId><artifactId>kafka-dist</artifactId><version>1</version>
<dependencies>
${dep("org.apache.kafka", "kafka_2.13", VERSIONS.kafka)}
${dep("org.apache.kafka", "kafka-tools", VERSIONS.kafka)}
${dep("org.slf4j", "slf4j-api", VERSIONS.slf4j)}
${dep("org.slf4j", "slf4j-simple", VERSIONS.slf4j)}
</dependencies></project>\n`,
  );
  await Deno.remove(libs, { recursive: true }).catch(() => {});
  const res = await run(mvn, [
    "-q",
    "-B",
    "dependency:copy-dependencies",
    `-DoutputDirectory=${libs}`,
    "-DincludeScope=runtime",
  ], { cwd: dir });
  if (res.code !== 0) {
    await installFailed(
      paths,
      `download Apache Kafka ${VERSIONS.kafka} from Maven Central`,
      res.output,
      "check the network or the mirrors in ~/.m2/settings.xml",
    );
  }
  await Deno.writeTextFile(`${libs}/.complete`, new Date().toISOString());
  return libs;
}

/** A random KRaft cluster id: 16 bytes, base64url, 22 characters. */
function clusterId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").slice(0, 22);
}

async function prepareKafka(paths: StackPaths, cfg: Config, say: (s: string) => void) {
  const java = await needJava();
  const libs = await kafkaLibs(paths, say);
  const { host, port } = hostPortOf("kafka", cfg);
  const dir = `${paths.state}/kafka`;
  const props = `${dir}/server.properties`;
  await Deno.writeTextFile(
    props,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@${host}:${port + 1}`,
      `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${port + 1}`,
      `advertised.listeners=PLAINTEXT://${host}:${port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${dir}/data`,
      "num.partitions=3",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=10",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "share.coordinator.state.topic.replication.factor=1",
      "share.coordinator.state.topic.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "auto.create.topics.enable=true",
      "log.retention.hours=168",
      "",
    ].join("\n"),
  );
  if (!(await exists(`${dir}/data/meta.properties`))) {
    const res = await run(java, [
      "-cp",
      `${libs}/*`,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      clusterId(),
      "-c",
      props,
    ]);
    if (res.code !== 0) throw new Error(`Kafka storage format failed:\n${res.output.slice(-2000)}`);
  }
  return {
    argv: [
      java,
      "-Xms256m",
      "-Xmx1g",
      "-XX:+UseG1GC",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
      "-Dorg.slf4j.simpleLogger.showDateTime=true",
      "-cp",
      `${libs}/*`,
      "kafka.Kafka",
      props,
    ],
    env: {},
  };
}

/** Builds versitygw with `go install` into the cache, once. */
export async function versitygwBinary(paths: StackPaths, say: (s: string) => void) {
  const dir = `${paths.cache}/versitygw-${VERSIONS.versitygw}`;
  const bin = `${dir}/versitygw`;
  if (await exists(bin)) return bin;
  const go = await which("go");
  if (!go) {
    throw new PrerequisiteError(
      "Building the S3 server (versitygw) needs Go 1.24 or newer and `go` was not found: install it from https://go.dev/dl or your package manager and run again.",
    );
  }
  say(`building versitygw ${VERSIONS.versitygw} with go install (once)…`);
  const res = await run(go, [
    "install",
    `github.com/versity/versitygw/cmd/versitygw@${VERSIONS.versitygw}`,
  ], { env: { GOBIN: dir } });
  if (res.code !== 0) {
    await installFailed(
      paths,
      `build versitygw ${VERSIONS.versitygw} with go install`,
      res.output,
      "check the network or GOPROXY",
    );
  }
  return bin;
}

async function prepareS3(paths: StackPaths, cfg: Config, say: (s: string) => void) {
  const bin = await versitygwBinary(paths, say);
  const { host, port } = hostPortOf("s3", cfg);
  const data = `${paths.state}/s3/data`;
  await Deno.mkdir(data, { recursive: true });
  return {
    argv: [bin, "--port", `${host}:${port}`, "posix", data],
    // Keys through the environment, so they never appear in `ps`.
    env: { ROOT_ACCESS_KEY: cfg.s3.accessKey, ROOT_SECRET_KEY: cfg.s3.secretKey },
  };
}

/** Checks for Python 3.9+ with pip and returns the `python3` path. */
async function needPython(): Promise<string> {
  const python = await which("python3");
  const how = "install it (Debian/Ubuntu: `apt-get install python3 python3-pip`) and run again";
  if (!python) {
    throw new PrerequisiteError(
      `ClickHouse comes from PyPI and needs Python 3.9 or newer; \`python3\` was not found: ${how}.`,
    );
  }
  const v = await run(python, ["-c", "import sys, pip; print(sys.version_info[1])"]);
  if (v.code !== 0) {
    throw new PrerequisiteError(`ClickHouse comes from PyPI and needs pip for python3: ${how}.`);
  }
  if (Number(v.output.trim()) < 9) {
    throw new PrerequisiteError(
      `ClickHouse needs Python 3.9 or newer, found 3.${v.output.trim()}.`,
    );
  }
  return python;
}

/**
 * Installs one PyPI package (without its dependencies unless `deps`) into the
 * cache with pip, once, and returns its directory (for `PYTHONPATH`). pip's own
 * settings apply (`PIP_INDEX_URL`, `~/.config/pip/pip.conf`).
 *
 * @example
 * ```ts
 * const dir = await pythonPackage(defaultPaths(), "chdb-core", "26.9.0", console.log);
 * ```
 */
export async function pythonPackage(
  paths: StackPaths,
  name: string,
  version: string,
  say: (s: string) => void,
  deps = false,
): Promise<string> {
  const dir = `${paths.cache}/python/${name}-${version}`;
  if (await exists(`${dir}/.complete`)) return dir;
  const python = await needPython();
  say(`downloading ${name} ${version} from PyPI (once)…`);
  const partial = `${dir}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  const res = await run(python, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "--no-input",
    "--retries=1",
    "--timeout=60",
    ...(deps ? [] : ["--no-deps"]),
    "--target",
    partial,
    `${name}==${version}`,
  ]);
  if (res.code !== 0) {
    await installFailed(
      paths,
      `download ${name} ${version} from PyPI`,
      res.output,
      "check the network or PIP_INDEX_URL",
    );
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, dir);
  await Deno.writeTextFile(`${dir}/.complete`, new Date().toISOString());
  return dir;
}

/** The server script that serves chdb-core's engine over HTTP. */
const CLICKHOUSE_SERVER = new URL("./stack/clickhouse_server.py", import.meta.url).pathname;
/** The Kafka settings every ClickHouse of ours gets (the compose file mounts the same file). */
const CLICKHOUSE_KAFKA_XML = new URL("../sql/clickhouse/docker-kafka.xml", import.meta.url)
  .pathname;

async function prepareClickhouse(paths: StackPaths, cfg: Config, say: (s: string) => void) {
  const python = await needPython();
  const pkg = await pythonPackage(paths, "chdb-core", VERSIONS.chdbCore, say);
  const { host, port } = hostPortOf("clickhouse", cfg);
  const dir = `${paths.state}/clickhouse`;
  await Deno.mkdir(`${dir}/config.d`, { recursive: true });
  await Deno.copyFile(CLICKHOUSE_KAFKA_XML, `${dir}/config.d/kafka.xml`);
  return {
    argv: [
      python,
      CLICKHOUSE_SERVER,
      `${pkg}/chdb/_chdb.abi3.so`,
      dir,
      host,
      String(port),
    ],
    // Credentials through the environment, so they never appear in `ps`.
    env: { CLICKHOUSE_USER: cfg.clickhouse.user, CLICKHOUSE_PASSWORD: cfg.clickhouse.password },
  };
}

const PREPARE: Record<
  ServiceName,
  (
    paths: StackPaths,
    cfg: Config,
    say: (s: string) => void,
  ) => Promise<{ argv: string[]; env: Record<string, string> }>
> = { kafka: prepareKafka, s3: prepareS3, clickhouse: prepareClickhouse };

// ---------------------------------------------------------------- commands

/** Health and ownership of one service. */
export async function serviceStatus(
  paths: StackPaths,
  cfg: Config,
  name: ServiceName,
): Promise<ServiceStatus> {
  const [pid, problem] = await Promise.all([ourPid(paths, name), HEALTH[name](cfg)]);
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
  if ((await HEALTH[name](cfg)) === null) {
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
    const { argv, env } = await PREPARE[name](paths, cfg, say);
    pid = await spawnDetached(paths, name, argv, env);
    say(`started (pid ${pid}), waiting for it to answer at ${endpoint}…`);
  } else {
    say(`pid ${pid} is running but not answering yet; waiting…`);
  }
  const deadline = Date.now() + opts.timeoutSec * 1000;
  let problem: string | null = "not checked";
  while (Date.now() < deadline) {
    // Not ourPid(): its command line reads empty for a moment while the process execs.
    if (!(await alive(pid))) {
      throw new UserError(
        `${name} exited during start-up. Last lines of ${logFile(paths, name)}:\n${await tail(
          logFile(paths, name),
        )}`,
      );
    }
    problem = await HEALTH[name](cfg);
    if (problem === null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (problem !== null) {
    throw new UserError(
      `${name} did not answer at ${endpoint} within ${opts.timeoutSec}s (${problem}). Last lines of ${
        logFile(paths, name)
      }:\n${await tail(logFile(paths, name))}`,
    );
  }
  say(`up at ${endpoint} (pid ${pid})`);
}

/** Brings services up (in parallel; all by default) and creates the default bucket. */
export async function up(
  paths: StackPaths,
  cfg: Config,
  opts: UpOptions,
  only: readonly ServiceName[] = SERVICES,
): Promise<void> {
  await Deno.mkdir(paths.state, { recursive: true });
  const results = await Promise.allSettled(only.map((s) => upService(paths, cfg, s, opts)));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length > 0) {
    const [first, ...rest] = failed.map((f) => f.reason);
    for (const r of rest) opts.say(`error: ${(r as Error).message}`);
    throw first;
  }
  if (!only.includes("s3")) return;
  const client = createS3Client(cfg.s3);
  try {
    if (await ensureBucket(client, cfg.s3.bucket)) {
      opts.say(`${"s3".padEnd(10)} created bucket "${cfg.s3.bucket}"`);
    }
  } finally {
    client.destroy();
  }
}

/** Stops the services this project started (by pid); leaves others alone. */
export async function down(
  paths: StackPaths,
  say: (line: string) => void,
  only: readonly ServiceName[] = SERVICES,
): Promise<void> {
  await Promise.all(only.map(async (name) => {
    const pid = await ourPid(paths, name);
    if (!pid) {
      await Deno.remove(pidFile(paths, name)).catch(() => {});
      say(`${name.padEnd(10)} not running (nothing of ours to stop)`);
      return;
    }
    Deno.kill(pid, "SIGTERM");
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && await ourPid(paths, name)) {
      await new Promise((r) => setTimeout(r, 200));
    }
    if (await ourPid(paths, name)) {
      Deno.kill(pid, "SIGKILL");
      say(`${name.padEnd(10)} killed (pid ${pid}) after 30 s without exiting`);
    } else {
      say(`${name.padEnd(10)} stopped (pid ${pid})`);
    }
    await Deno.remove(pidFile(paths, name)).catch(() => {});
  }));
}

/** A fresh checkout has no `.env`; start it from the example so every task finds one. */
export async function copyEnvExample(say: (s: string) => void): Promise<void> {
  const root = new URL("../", import.meta.url).pathname;
  try {
    await Deno.stat(`${root}.env`);
  } catch {
    try {
      await Deno.copyFile(`${root}.env.example`, `${root}.env`);
      say("created .env from .env.example");
    } catch { /* no example either: defaults apply */ }
  }
}
