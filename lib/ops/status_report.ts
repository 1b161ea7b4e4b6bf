/**
 * The shape of `deno task status`'s report: services, Kafka topics and
 * consumer-group lag, the lake per date, ClickHouse's row counts. Types only,
 * plus the exit code a report gives.
 *
 * @module
 */
import type { ServiceName } from "../stack/services.ts";

/** A section that needs a service: its data, or why it could not be read. */
export type Section<T> = ({ available: true } & T) | { available: false; reason: string };

/** One service, as its health check saw it. */
export interface ServiceState {
  name: ServiceName;
  endpoint: string;
  up: boolean;
  /** Pid when this project's native stack started it; null for others (e.g. docker). */
  pid: number | null;
  /** Why it is down (empty when up). */
  detail: string;
}

/** Low and high watermark (end offset) of one partition. */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** One topic. */
export interface TopicStatus {
  topic: string;
  exists: boolean;
  partitions: PartitionOffsets[];
  /** Messages retained: the sum of high − low over the partitions. */
  messages: number;
}

/** A group's position in one partition. */
export interface PartitionLag {
  partition: number;
  /** Committed offset, or null when the group committed none for the partition. */
  committed: number | null;
  /** End offset (high watermark). */
  end: number;
  /** Records the group has not committed yet: end − max(committed, low). */
  lag: number;
}

/** A group's lag on one topic. */
export interface GroupTopicLag {
  topic: string;
  lag: number;
  partitions: PartitionLag[];
}

/** One consumer group. */
export interface GroupStatus {
  group: string;
  /** Broker-side state (`Stable`, `Empty`, …), or `Unknown` when the broker knows no such group. */
  state: string;
  members: number;
  /** Total lag over the topics shown. */
  lag: number;
  /** Topics shown on which the group committed offsets. */
  topics: GroupTopicLag[];
}

/** Kafka: topics, groups and the dead-letter topic. */
export interface KafkaStatus {
  topics: TopicStatus[];
  groups: GroupStatus[];
  dlq: { topic: string; exists: boolean; messages: number };
}

/** Objects and bytes under one `dt=` folder. */
export interface LakeDate {
  date: string;
  objects: number;
  bytes: number;
}

/** The Parquet lake under `s3://bucket/prefix/`. */
export interface LakeStatus {
  bucket: string;
  prefix: string;
  bucketExists: boolean;
  dates: LakeDate[];
  objects: number;
  bytes: number;
  /** Objects under the prefix that are not in the `dt=…/….parquet` layout. */
  other: { objects: number; bytes: number };
}

/** Rows of one ClickHouse table; null when it does not exist (not initialised). */
export interface TableCount {
  table: string;
  rows: number | null;
}

/** ClickHouse: version and the row counts of the ingestion tables. */
export interface ClickHouseStatus {
  version: string;
  tables: TableCount[];
}

/** Everything `deno task status` shows. */
export interface StatusReport {
  generatedAt: string;
  /** True when every service is up. */
  ok: boolean;
  services: ServiceState[];
  kafka: Section<KafkaStatus>;
  lake: Section<LakeStatus>;
  clickhouse: Section<ClickHouseStatus>;
}

/** Exit code of `deno task status`: 0 when every service is up. */
export function exitCode(report: StatusReport): number {
  return report.ok ? 0 : 1;
}

/** Whether a service is Kafka: `kafka` alone, or node `kafka-<i>` of a cluster. */
export function isKafkaService(name: ServiceName): boolean {
  return name === "kafka" || name.startsWith("kafka-");
}
