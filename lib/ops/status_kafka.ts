/**
 * The Kafka section of the status: topics and their offsets, consumer groups
 * and their lag per partition, the dead-letter topic. The arithmetic is pure;
 * {@link readKafka} asks the broker.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import type { Config } from "../core/env.ts";
import { createKafka } from "../kafka/client.ts";
import type {
  GroupStatus,
  GroupTopicLag,
  KafkaStatus,
  PartitionLag,
  TopicStatus,
} from "./status_report.ts";

/** Kafka's internal topics (`__consumer_offsets`, …) start with two underscores. */
export function isInternalTopic(topic: string): boolean {
  return topic.startsWith("__");
}

/** A topic's status from its partitions' offsets (as kafkajs returns them, strings). */
export function topicStatus(
  topic: string,
  offsets: readonly { partition: number; low: string | number; high: string | number }[],
): TopicStatus {
  const partitions = offsets
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition);
  return {
    topic,
    exists: true,
    partitions,
    messages: partitions.reduce((n, p) => n + p.high - p.low, 0),
  };
}

/**
 * A group's lag on a topic: every partition of the topic, with the committed
 * offset where there is one (kafkajs reports none as `-1`). A partition
 * without a commit lags by everything retained in it.
 */
export function groupTopicLag(
  topic: TopicStatus,
  committed: readonly { partition: number; offset: string | number }[],
): GroupTopicLag {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  const partitions = topic.partitions.map((p): PartitionLag => {
    const c = byPartition.get(p.partition);
    const done = c === undefined || c < 0 ? null : c;
    return {
      partition: p.partition,
      committed: done,
      end: p.high,
      lag: Math.max(0, p.high - Math.max(done ?? p.low, p.low)),
    };
  });
  return { topic: topic.topic, lag: partitions.reduce((n, p) => n + p.lag, 0), partitions };
}

/** Which topics and groups {@link readKafka} shows. */
export interface KafkaSelection {
  /** Topics to show; undefined shows every non-internal topic. */
  topics: readonly string[] | undefined;
  /** Groups always listed (shown as `Unknown` when the broker has none), e.g. the sink's. */
  groups: readonly string[];
  dlqTopic: string;
}

/** Offsets of every partition of each existing topic. */
async function readTopics(
  admin: Admin,
  names: readonly string[],
  existing: ReadonlySet<string>,
): Promise<TopicStatus[]> {
  return await Promise.all(
    names.map(async (topic) =>
      existing.has(topic)
        ? topicStatus(topic, await admin.fetchTopicOffsets(topic))
        : { topic, exists: false, partitions: [], messages: 0 }
    ),
  );
}

/** The wanted groups, then every group that committed on a shown topic, with their lag. */
async function readGroups(
  admin: Admin,
  shown: ReadonlyMap<string, TopicStatus>,
  wanted: readonly string[],
): Promise<GroupStatus[]> {
  const listed = (await admin.listGroups()).groups
    .filter((g) => g.protocolType === "consumer" || g.protocolType === "")
    .map((g) => g.groupId);
  const commits = await Promise.all(
    listed.map(async (groupId) => ({ groupId, topics: await admin.fetchOffsets({ groupId }) })),
  );
  const lags = new Map<string, GroupTopicLag[]>();
  for (const { groupId, topics: committed } of commits) {
    const onShown = committed
      .filter((c) => shown.has(c.topic) && c.partitions.some((p) => Number(p.offset) >= 0))
      .map((c) => groupTopicLag(shown.get(c.topic)!, c.partitions))
      .sort((a, b) => a.topic.localeCompare(b.topic));
    if (onShown.length > 0) lags.set(groupId, onShown);
  }
  const ids = [...new Set([...wanted, ...[...lags.keys()].sort()])];
  const known = new Set(listed);
  const described = new Map(
    (await admin.describeGroups(ids.filter((g) => known.has(g)))).groups.map((
      g,
    ) => [g.groupId, g]),
  );
  return ids.map((group): GroupStatus => {
    const d = described.get(group);
    const topicsLag = lags.get(group) ?? [];
    return {
      group,
      state: d?.state ?? "Unknown",
      members: d?.members.length ?? 0,
      lag: topicsLag.reduce((n, t) => n + t.lag, 0),
      topics: topicsLag,
    };
  });
}

/**
 * Reads topics, groups and the dead-letter topic from the brokers.
 *
 * @example
 * ```ts
 * const k = await readKafka(loadConfig(), { topics: undefined, groups: [], dlqTopic: "t.dlq" });
 * console.log(k.topics.map((t) => t.topic));
 * ```
 */
export async function readKafka(cfg: Config, want: KafkaSelection): Promise<KafkaStatus> {
  const admin = createKafka({ brokers: cfg.kafkaBrokers, clientId: "music-status" }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const names = want.topics
      ? [...new Set([...want.topics, want.dlqTopic])]
      : [...existing].filter((t) => !isInternalTopic(t)).sort();
    const topics = await readTopics(admin, names, existing);
    const shown = new Map(topics.filter((t) => t.exists).map((t) => [t.topic, t]));
    const groups = await readGroups(admin, shown, want.groups);
    const dlq = topics.find((t) => t.topic === want.dlqTopic) ??
      (await readTopics(admin, [want.dlqTopic], existing))[0]!;
    return {
      topics,
      groups,
      dlq: { topic: dlq.topic, exists: dlq.exists, messages: dlq.messages },
    };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
