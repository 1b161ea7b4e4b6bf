/**
 * The layout of the native Kafka: one KRaft node (service `kafka`, state in
 * `.stack/kafka/`) or a cluster of `KAFKA_NODES` (services `kafka-1`…,
 * `.stack/kafka-1/`…), where node i listens on the first configured broker's
 * port + 2·(i−1) with its controller on the next port, and each node's
 * `server.properties`.
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { parseHostPort } from "../core/flags.ts";

/** One Kafka node of the native stack. */
export interface KafkaNode {
  /** Its service name: `kafka` alone, `kafka-<id>` in a cluster. */
  service: string;
  /** KRaft node id, from 1. */
  id: number;
  host: string;
  /** Client (PLAINTEXT) port. */
  port: number;
  /** KRaft controller port (port + 1). */
  controllerPort: number;
}

/**
 * The nodes `cfg` describes: `cfg.kafkaNodes` of them from the first broker's
 * address, two ports apart (client port, then controller port).
 *
 * @example
 * ```ts
 * kafkaNodes({ ...cfg, kafkaBrokers: ["127.0.0.1:9092"], kafkaNodes: 3 }).map((n) => n.port);
 * // [9092, 9094, 9096]
 * ```
 */
export function kafkaNodes(cfg: Config): KafkaNode[] {
  const { host, port } = parseHostPort(cfg.kafkaBrokers[0] ?? "", "KAFKA_BROKERS");
  const n = cfg.kafkaNodes;
  return Array.from({ length: n }, (_, i) => ({
    service: n === 1 ? "kafka" : `kafka-${i + 1}`,
    id: i + 1,
    host,
    port: port + 2 * i,
    controllerPort: port + 2 * i + 1,
  }));
}

/**
 * Replication of the internal topics and the topic defaults for `n` nodes:
 * three copies at most, and writes need two of them once there are three, so
 * one node can fail without losing an acknowledged record. A single node
 * keeps the settings it always had.
 */
function replicationLines(n: number): string[] {
  const rf = Math.min(3, n);
  const isr = Math.min(2, n);
  const lines = [
    `offsets.topic.replication.factor=${rf}`,
    "offsets.topic.num.partitions=10",
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${isr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${isr}`,
  ];
  if (n > 1) lines.push(`default.replication.factor=${rf}`);
  if (n >= 3) lines.push("min.insync.replicas=2");
  return lines;
}

/**
 * The `server.properties` of `node` in the cluster of `nodes`, with its data
 * under `dir/data`. Every node is broker and controller; the static quorum
 * (`controller.quorum.voters`) lists all of them, so storage is formatted
 * with a shared cluster id and no `--standalone`.
 */
export function kafkaProperties(node: KafkaNode, nodes: readonly KafkaNode[], dir: string): string {
  const voters = nodes.map((v) => `${v.id}@${v.host}:${v.controllerPort}`).join(",");
  return [
    "process.roles=broker,controller",
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://${node.host}:${node.port},CONTROLLER://${node.host}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${node.host}:${node.port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${dir}/data`,
    "num.partitions=3",
    ...replicationLines(nodes.length),
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=true",
    "log.retention.hours=168",
    "",
  ].join("\n");
}
