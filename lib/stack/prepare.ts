/**
 * Each native service's start-up: writes its configuration under `.stack/`
 * (each Kafka node's server.properties and storage format, versitygw's data directory,
 * ClickHouse's config.d) and returns the command line and environment that
 * run it.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Config } from "../core/env.ts";
import { exists, run } from "../core/process.ts";
import {
  kafkaLibs,
  needJava,
  needPython,
  pythonPackage,
  VERSIONS,
  versitygwBinary,
} from "./installers.ts";
import type { StackPaths } from "./processes.ts";
import { kafkaNodes, kafkaProperties } from "./kafka_config.ts";
import { hostPortOf, type ServiceName } from "./services.ts";

/** How to run a prepared service: its argv and extra environment (secrets stay out of `ps`). */
export interface ServiceCommand {
  argv: string[];
  env: Record<string, string>;
}

/**
 * A random KRaft cluster id: 16 bytes, base64url, 22 characters, not starting
 * with "-": StorageTool would read such an id (1 in 64) as an option and fail
 * with "argument --cluster-id/-t: expected one argument". Kafka's own
 * Uuid.randomUuid() skips those too.
 */
export function clusterId(): string {
  for (;;) {
    const b = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_")
      .slice(0, 22);
    if (!id.startsWith("-")) return id;
  }
}

/**
 * The id every node of a cluster formats its storage with, kept in
 * `.stack/kafka-cluster-id`: created once (the nodes prepare in parallel, so
 * it is written aside and linked into place, which only one can win).
 */
async function sharedClusterId(paths: StackPaths): Promise<string> {
  const file = `${paths.state}/kafka-cluster-id`;
  if (!(await exists(file))) {
    const temp = `${file}.${crypto.randomUUID()}`;
    await Deno.writeTextFile(temp, `${clusterId()}\n`);
    await Deno.link(temp, file).catch((e) => {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    });
    await Deno.remove(temp);
  }
  return (await Deno.readTextFile(file)).trim();
}

/** One download of the Kafka jars per cache, however many nodes prepare at once. */
const libsOnce = new Map<string, Promise<string>>();
function kafkaLibsOnce(paths: StackPaths, say: (s: string) => void): Promise<string> {
  let p = libsOnce.get(paths.cache);
  if (!p) {
    p = kafkaLibs(paths, say);
    p.catch(() => libsOnce.delete(paths.cache));
    libsOnce.set(paths.cache, p);
  }
  return p;
}

async function prepareKafka(
  name: ServiceName,
  paths: StackPaths,
  cfg: Config,
  say: (s: string) => void,
): Promise<ServiceCommand> {
  const java = await needJava();
  const libs = await kafkaLibsOnce(paths, say);
  const nodes = kafkaNodes(cfg);
  const node = nodes.find((n) => n.service === name);
  if (!node) throw new Error(`${name} is not a Kafka node of this layout`);
  const dir = `${paths.state}/${name}`;
  const props = `${dir}/server.properties`;
  await Deno.writeTextFile(props, kafkaProperties(node, nodes, dir));
  if (!(await exists(`${dir}/data/meta.properties`))) {
    const id = nodes.length === 1 ? clusterId() : await sharedClusterId(paths);
    const res = await run(java, [
      "-cp",
      `${libs}/*`,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      id,
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

async function prepareS3(
  _name: ServiceName,
  paths: StackPaths,
  cfg: Config,
  say: (s: string) => void,
): Promise<ServiceCommand> {
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

/** The server script that serves chdb-core's engine over HTTP. */
const CLICKHOUSE_SERVER = fileURLToPath(new URL("./clickhouse_server.py", import.meta.url));
/** The Kafka settings every ClickHouse of ours gets (the compose file mounts the same file). */
const CLICKHOUSE_KAFKA_XML = fileURLToPath(
  new URL("../../sql/clickhouse/docker-kafka.xml", import.meta.url),
);

async function prepareClickhouse(
  _name: ServiceName,
  paths: StackPaths,
  cfg: Config,
  say: (s: string) => void,
): Promise<ServiceCommand> {
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

type Prepare = (
  name: ServiceName,
  paths: StackPaths,
  cfg: Config,
  say: (s: string) => void,
) => Promise<ServiceCommand>;
const PREPARE: Record<"s3" | "clickhouse", Prepare> = {
  s3: prepareS3,
  clickhouse: prepareClickhouse,
};

/**
 * Installs what a service needs (cached), writes its configuration and
 * returns how to run it; `say` reports slow first-time steps.
 *
 * @example
 * ```ts
 * const { argv, env } = await prepareService("kafka", defaultPaths(), loadConfig(), console.log);
 * ```
 */
export function prepareService(
  name: ServiceName,
  paths: StackPaths,
  cfg: Config,
  say: (s: string) => void,
): Promise<ServiceCommand> {
  const prepare = name === "s3" || name === "clickhouse" ? PREPARE[name] : prepareKafka;
  return prepare(name, paths, cfg, say);
}
