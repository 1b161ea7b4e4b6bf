/**
 * The stack's services as clients see them (Kafka — one node or each node of
 * a cluster —, S3, ClickHouse): their names, the endpoint
 * each is expected at, and a health check that makes a real request.
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { UserError } from "../core/errors.ts";
import { parseHostPort } from "../core/flags.ts";
import { createS3Client, listBuckets } from "../lake/s3.ts";
import { createKafka } from "../kafka/client.ts";
import { ClickHouseClient } from "../clickhouse/client.ts";
import { type KafkaNode, kafkaNodes } from "./kafka_config.ts";

/** Names of the stack's services: `kafka-<i>` is node i of a Kafka cluster (`KAFKA_NODES` > 1). */
export type ServiceName = "kafka" | `kafka-${number}` | "s3" | "clickhouse";
/** The services of the default layout (one Kafka node), in start order. */
export const SERVICES: readonly ServiceName[] = ["kafka", "s3", "clickhouse"];

/** The services `cfg` runs, in start order: each Kafka node, then S3 and ClickHouse. */
export function stackServices(cfg: Config): ServiceName[] {
  return [...kafkaNodes(cfg).map((n) => n.service as ServiceName), "s3", "clickhouse"];
}

/**
 * Checks service names given on the command line (`kafka`, `kafka-<i>`, `s3`,
 * `clickhouse`); throws UserError for an unknown one. Which Kafka nodes exist
 * is settled by {@link resolveServices}.
 */
export function parseServices(names: readonly string[]): ServiceName[] {
  return names.map((s) => {
    if (!(SERVICES as readonly string[]).includes(s) && !/^kafka-[1-9]\d*$/.test(s)) {
      throw new UserError(
        `Unknown service "${s}"; expected one of ${
          SERVICES.join(", ")
        } (or kafka-1, kafka-2… with KAFKA_NODES > 1)`,
      );
    }
    return s as ServiceName;
  });
}

/**
 * The services `names` mean in the layout of `cfg` (all of them when empty):
 * with several Kafka nodes, `kafka` means every node. Throws UserError for a
 * node the layout does not have.
 */
export function resolveServices(names: readonly ServiceName[], cfg: Config): ServiceName[] {
  const all = stackServices(cfg);
  if (names.length === 0) return all;
  const kafka = all.filter((s) => s.startsWith("kafka"));
  const out = new Set<ServiceName>();
  for (const name of names) {
    if (name === "kafka") kafka.forEach((k) => out.add(k));
    else if (all.includes(name)) out.add(name);
    else {
      throw new UserError(
        `There is no service "${name}" with KAFKA_NODES=${cfg.kafkaNodes}; the Kafka services are ${
          kafka.join(", ")
        }`,
      );
    }
  }
  return all.filter((s) => out.has(s));
}

/** The Kafka node a `kafka…` service runs, or undefined for another service or node. */
export function kafkaNodeOf(name: ServiceName, cfg: Config): KafkaNode | undefined {
  return kafkaNodes(cfg).find((n) => n.service === name);
}

/**
 * Kafka at `brokers` answers a metadata request (describeCluster); with
 * `nodeId`, that node is also among the brokers it lists (registered, not fenced).
 */
async function kafkaHealth(brokers: string[], nodeId?: number): Promise<string | null> {
  const kafka = createKafka({ brokers, clientId: "stack-health", probe: true });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    if (c.brokers.length === 0) return "no brokers in metadata";
    if (nodeId !== undefined && !c.brokers.some((b) => b.nodeId === nodeId)) {
      return `node ${nodeId} is not among the brokers in metadata yet`;
    }
    return null;
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

const HEALTH: Record<"s3" | "clickhouse", (cfg: Config) => Promise<string | null>> = {
  s3: s3Health,
  clickhouse: clickhouseHealth,
};

/**
 * Asks a service a real question as a client would; null when it answers,
 * else what went wrong.
 *
 * @example
 * ```ts
 * const problem = await healthProblem("clickhouse", loadConfig());
 * console.log(problem ?? "up");
 * ```
 */
export function healthProblem(name: ServiceName, cfg: Config): Promise<string | null> {
  if (name === "s3" || name === "clickhouse") return HEALTH[name](cfg);
  // `kafka` is whatever the broker list reaches; a node of a cluster answers for itself.
  const node = name === "kafka" ? undefined : kafkaNodeOf(name, cfg);
  if (!node) return kafkaHealth(cfg.kafkaBrokers);
  return kafkaHealth([`${node.host}:${node.port}`], node.id);
}

/** The `host:port` or URL each service is expected at. */
export function endpointOf(name: ServiceName, cfg: Config): string {
  if (name === "s3") return cfg.s3.endpoint;
  if (name === "clickhouse") return cfg.clickhouse.url;
  const node = kafkaNodeOf(name, cfg);
  return node ? `${node.host}:${node.port}` : cfg.kafkaBrokers[0] ?? "";
}

/** Host and port a service listens on, from its endpoint. */
export function hostPortOf(name: ServiceName, cfg: Config): { host: string; port: number } {
  const ep = endpointOf(name, cfg);
  if (name.startsWith("kafka")) return parseHostPort(ep, "KAFKA_BROKERS");
  const url = new URL(ep);
  return { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)) };
}

/** True when something accepts TCP connections at `host:port`. */
export async function portOpen(host: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}
