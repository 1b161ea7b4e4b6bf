/**
 * The stack's three services as clients see them: their names, the endpoint
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

/** Names of the stack's services. */
export type ServiceName = "kafka" | "s3" | "clickhouse";
/** All services, in start order. */
export const SERVICES: readonly ServiceName[] = ["kafka", "s3", "clickhouse"];

/** Checks service names given on the command line; throws UserError for an unknown one. */
export function parseServices(names: readonly string[]): ServiceName[] {
  return names.map((s) => {
    if (!(SERVICES as readonly string[]).includes(s)) {
      throw new UserError(`Unknown service "${s}"; expected one of ${SERVICES.join(", ")}`);
    }
    return s as ServiceName;
  });
}

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
  return HEALTH[name](cfg);
}

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

/** Host and port a service listens on, from its endpoint. */
export function hostPortOf(name: ServiceName, cfg: Config): { host: string; port: number } {
  const ep = endpointOf(name, cfg);
  if (name === "kafka") return parseHostPort(ep, "KAFKA_BROKERS");
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
