/**
 * The pipeline at a glance: gathers a typed {@link StatusReport} of the
 * services, Kafka, the lake and ClickHouse. A service that is down makes the
 * sections that need it "unavailable" instead of failing.
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { resolveIngestOptions } from "../clickhouse/ingest.ts";
import { type StackPaths } from "../stack/processes.ts";
import { type ServiceName, stackServices } from "../stack/services.ts";
import { serviceStatus } from "../stack/stack.ts";
import { readClickHouse } from "./status_clickhouse.ts";
import { readKafka } from "./status_kafka.ts";
import { readLake } from "./status_lake.ts";
import {
  isKafkaService,
  type Section,
  type ServiceState,
  type StatusReport,
} from "./status_report.ts";

/** What {@link gatherStatus} looks at. */
export interface StatusOptions {
  cfg: Config;
  paths: StackPaths;
  /** Topics to show; undefined shows every non-internal topic. */
  topics: readonly string[] | undefined;
  /** Groups always listed (shown as `Unknown` when the broker has none), e.g. the sink's. */
  groups: readonly string[];
  dlqTopic: string;
  bucket: string;
  /** Lake key prefix, e.g. `music_events`. */
  prefix: string;
  /** Prefix of the ClickHouse table names ("" by default). */
  clickhousePrefix: string;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0]!.trim();
}

/** Reads a section, or says why it is unavailable (its service is down, or reading failed). */
async function section<T extends object>(
  down: string | undefined,
  read: () => Promise<T>,
): Promise<Section<T>> {
  if (down) return { available: false, reason: down };
  try {
    return { available: true, ...(await read()) };
  } catch (e) {
    return { available: false, reason: firstLine(e) };
  }
}

/** Why a section needing `services` cannot be read: every one of them is down; else undefined. */
function allDown(services: readonly ServiceState[]): string | undefined {
  if (services.length === 0 || services.some((s) => s.up)) return undefined;
  const endpoints = services.map((s) => s.endpoint).join(", ");
  return services.length === 1
    ? `${services[0]!.name} is down at ${endpoints}`
    : `${services.map((s) => s.name).join(", ")} are down at ${endpoints}`;
}

/** One row per service the stack runs: each Kafka node of a cluster, S3, ClickHouse. */
async function readServices(cfg: Config, paths: StackPaths): Promise<ServiceState[]> {
  return await Promise.all(
    stackServices(cfg).map(async (name): Promise<ServiceState> => {
      const s = await serviceStatus(paths, cfg, name);
      return {
        name,
        endpoint: s.endpoint,
        up: s.healthy,
        pid: s.pid ?? null,
        detail: s.healthy ? "" : s.detail.split("\n")[0]!.trim(),
      };
    }),
  );
}

/**
 * Reads the whole status. Never throws for a service being down or failing:
 * the affected sections say why they are unavailable.
 *
 * @example
 * ```ts
 * const report = await gatherStatus({
 *   cfg: loadConfig(),
 *   paths: defaultPaths(),
 *   topics: ["music_events"],
 *   groups: ["music-sink"],
 *   dlqTopic: "music_events.dlq",
 *   bucket: "prod-python",
 *   prefix: "music_events",
 *   clickhousePrefix: "",
 * });
 * console.log(renderStatus(report));
 * ```
 */
export async function gatherStatus(opts: StatusOptions): Promise<StatusReport> {
  const { cfg } = opts;
  // Validates the table prefix the same way clickhouse:init does.
  const chPrefix =
    resolveIngestOptions({ brokers: cfg.kafkaBrokers, prefix: opts.clickhousePrefix })
      .prefix;
  const services = await readServices(cfg, opts.paths);
  const only = (name: ServiceName) => services.filter((s) => s.name === name);
  // A cluster answers while any node is up (KAFKA_BROKERS lists them all).
  const kafkaNodes = services.filter((s) => isKafkaService(s.name));
  // Offsets first: the sink and ClickHouse store a batch before committing it, so the lake
  // and the row counts read afterwards hold at least what the committed offsets say.
  const kafka = await section(allDown(kafkaNodes), () => readKafka(cfg, opts));
  const [lake, clickhouse] = await Promise.all([
    section(allDown(only("s3")), () => readLake(cfg, opts.bucket, opts.prefix)),
    section(allDown(only("clickhouse")), () => readClickHouse(cfg, chPrefix)),
  ]);
  return {
    generatedAt: new Date().toISOString(),
    ok: services.every((s) => s.up),
    services,
    kafka,
    lake,
    clickhouse,
  };
}
