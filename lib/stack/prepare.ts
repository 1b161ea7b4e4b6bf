/**
 * Each native service's start-up: writes its configuration under `.stack/`
 * (Kafka's server.properties and storage format, versitygw's data directory,
 * ClickHouse's config.d) and returns the command line and environment that
 * run it.
 *
 * @module
 */
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
import { hostPortOf, type ServiceName } from "./services.ts";

/** How to run a prepared service: its argv and extra environment (secrets stay out of `ps`). */
export interface ServiceCommand {
  argv: string[];
  env: Record<string, string>;
}

/** A random KRaft cluster id: 16 bytes, base64url, 22 characters. */
function clusterId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").slice(0, 22);
}

async function prepareKafka(
  paths: StackPaths,
  cfg: Config,
  say: (s: string) => void,
): Promise<ServiceCommand> {
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

async function prepareS3(
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
const CLICKHOUSE_SERVER = new URL("./clickhouse_server.py", import.meta.url).pathname;
/** The Kafka settings every ClickHouse of ours gets (the compose file mounts the same file). */
const CLICKHOUSE_KAFKA_XML = new URL("../../sql/clickhouse/docker-kafka.xml", import.meta.url)
  .pathname;

async function prepareClickhouse(
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

const PREPARE: Record<
  ServiceName,
  (paths: StackPaths, cfg: Config, say: (s: string) => void) => Promise<ServiceCommand>
> = { kafka: prepareKafka, s3: prepareS3, clickhouse: prepareClickhouse };

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
  return PREPARE[name](paths, cfg, say);
}
