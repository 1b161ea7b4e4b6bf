import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { loadConfig } from "../core/env.ts";
import { ConfigError } from "../core/errors.ts";
import { kafkaNodes, kafkaProperties } from "./kafka_config.ts";
import { parseServices, resolveServices, stackServices } from "./services.ts";

const cfgOf = (vars: Record<string, string>) => loadConfig((name) => vars[name]);
const props = (text: string) =>
  Object.fromEntries(text.trim().split("\n").map((l) => l.split("=", 2) as [string, string]));

Deno.test("one node: service kafka on the broker's port, controller on the next", () => {
  const nodes = kafkaNodes(cfgOf({}));
  assertEquals(nodes, [
    { service: "kafka", id: 1, host: "127.0.0.1", port: 9092, controllerPort: 9093 },
  ]);
  const p = props(kafkaProperties(nodes[0]!, nodes, "/s/kafka"));
  assertEquals(p["controller.quorum.voters"], "1@127.0.0.1:9093");
  assertEquals(p["log.dirs"], "/s/kafka/data");
  assertEquals(p["offsets.topic.replication.factor"], "1");
  assertEquals(p["transaction.state.log.min.isr"], "1");
  // Exactly the settings one node always had: nothing about replication defaults.
  assertEquals(p["default.replication.factor"], undefined);
  assertEquals(p["min.insync.replicas"], undefined);
});

Deno.test("three nodes: two ports apart, every node a voter, replicated internal topics", () => {
  const nodes = kafkaNodes(cfgOf({ KAFKA_NODES: "3", KAFKA_BROKERS: "127.0.0.1:29092" }));
  assertEquals(nodes.map((n) => [n.service, n.id, n.port, n.controllerPort]), [
    ["kafka-1", 1, 29092, 29093],
    ["kafka-2", 2, 29094, 29095],
    ["kafka-3", 3, 29096, 29097],
  ]);
  const p = props(kafkaProperties(nodes[1]!, nodes, "/s/kafka-2"));
  assertEquals(p["node.id"], "2");
  assertEquals(
    p["controller.quorum.voters"],
    "1@127.0.0.1:29093,2@127.0.0.1:29095,3@127.0.0.1:29097",
  );
  assertEquals(p["listeners"], "PLAINTEXT://127.0.0.1:29094,CONTROLLER://127.0.0.1:29095");
  assertEquals(p["advertised.listeners"], "PLAINTEXT://127.0.0.1:29094");
  assertEquals(p["log.dirs"], "/s/kafka-2/data");
  for (const k of ["offsets.topic", "transaction.state.log", "share.coordinator.state.topic"]) {
    assertEquals(p[`${k}.replication.factor`], "3", k);
  }
  assertEquals(p["transaction.state.log.min.isr"], "2");
  assertEquals(p["share.coordinator.state.topic.min.isr"], "2");
  assertEquals(p["default.replication.factor"], "3");
  assertEquals(p["min.insync.replicas"], "2");
});

Deno.test("five nodes keep three copies, two in sync", () => {
  const nodes = kafkaNodes(cfgOf({ KAFKA_NODES: "5" }));
  const p = props(kafkaProperties(nodes[4]!, nodes, "/s/kafka-5"));
  assertEquals(nodes.at(-1)!.port, 9100);
  assertEquals(p["offsets.topic.replication.factor"], "3");
  assertEquals(p["min.insync.replicas"], "2");
});

Deno.test("services: kafka alone, or each node; `kafka` names every node of a cluster", () => {
  assertEquals(stackServices(cfgOf({})), ["kafka", "s3", "clickhouse"]);
  const three = cfgOf({ KAFKA_NODES: "3" });
  assertEquals(stackServices(three), ["kafka-1", "kafka-2", "kafka-3", "s3", "clickhouse"]);
  assertEquals(resolveServices([], three), stackServices(three));
  assertEquals(resolveServices(parseServices(["s3", "kafka"]), three), [
    "kafka-1",
    "kafka-2",
    "kafka-3",
    "s3",
  ]);
  assertEquals(resolveServices(parseServices(["kafka-2"]), three), ["kafka-2"]);
});

Deno.test("services: a node the layout lacks, or a made-up name, is a one-line user error", () => {
  const three = cfgOf({ KAFKA_NODES: "3" });
  assertThrows(
    () => resolveServices(parseServices(["kafka-4"]), three),
    /no service "kafka-4" with KAFKA_NODES=3; the Kafka services are kafka-1, kafka-2, kafka-3/,
  );
  assertThrows(() => resolveServices(parseServices(["kafka-1"]), cfgOf({})), /KAFKA_NODES=1/);
  assertThrows(() => parseServices(["zookeeper"]), /Unknown service "zookeeper"/);
  assertThrows(() => parseServices(["kafka-0"]), /Unknown service "kafka-0"/);
  assertThrows(() => cfgOf({ KAFKA_NODES: "4x" }), ConfigError);
});
