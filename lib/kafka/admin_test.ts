import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { topicReplication } from "./admin.ts";

Deno.test("topicReplication: one broker keeps one copy and the broker's defaults", () => {
  assertEquals(topicReplication(1), { replicationFactor: 1, configEntries: [] });
});

Deno.test("topicReplication: two brokers, two copies, no min ISR that would block writes", () => {
  assertEquals(topicReplication(2), { replicationFactor: 2, configEntries: [] });
});

Deno.test("topicReplication: three or more brokers, three copies and two in sync", () => {
  for (const n of [3, 5]) {
    assertEquals(topicReplication(n), {
      replicationFactor: 3,
      configEntries: [{ name: "min.insync.replicas", value: "2" }],
    });
  }
});
