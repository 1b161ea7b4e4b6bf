import assert from "node:assert/strict";
import { ConfigError, UserError } from "../core/errors.ts";
import { producerFlags, progressRenderer, runFailure, summaryLine } from "./produce_cli.ts";
import { DeliveryTimeoutError, type ProducerSummary } from "./producer.ts";

const flags = {
  topic: "t",
  partitions: "3",
  compression: "zstd",
  rate: "1",
  "delivery-timeout": "2m",
};

Deno.test("--delivery-timeout takes a duration", () => {
  assert.equal(producerFlags(flags).deliveryTimeoutMs, 120_000);
  assert.equal(producerFlags({ ...flags, "delivery-timeout": "10s" }).deliveryTimeoutMs, 10_000);
  assert.throws(
    () => producerFlags({ ...flags, "delivery-timeout": "soon" }),
    (e: unknown) => e instanceof ConfigError && /^--delivery-timeout has "soon"/.test(e.message),
  );
});

function summary(over: Partial<ProducerSummary>): ProducerSummary {
  return {
    sent: 12_400,
    acked: 12_000,
    failed: 400,
    bytes: 4_000_000,
    elapsedMs: 150_000,
    ready: true,
    waiting: false,
    waitReason: "",
    topic: "music_events",
    createdTopic: false,
    partitions: 3,
    stopped: false,
    abandoned: 0,
    ...over,
  };
}

Deno.test("a delivery timeout ends in one line with what was acked and what was not", () => {
  const s = summary({
    error: new DeliveryTimeoutError(["127.0.0.1:9092"], 120_000, "connection refused"),
  });
  const e = runFailure(s, "events");
  assert.ok(e instanceof UserError);
  assert.equal(
    e.message,
    "Kafka at 127.0.0.1:9092 unreachable for 2m (connection refused): 12,000 events acked, 400 not delivered",
  );
  assert.match(summaryLine(s, "events"), /^failed: acked 12,000 events to music_events /);
  // Other failures pass through as they are.
  const refused = new UserError("Kafka refused: too large (MESSAGE_TOO_LARGE)");
  assert.equal(runFailure(summary({ error: refused }), "events"), refused);
});

Deno.test("the summary says stopped or done when nothing failed", () => {
  assert.match(
    summaryLine(summary({ stopped: true }), "records"),
    /^stopped: acked 12,000 records/,
  );
  assert.match(summaryLine(summary({ failed: 0 }), "events"), /^done: acked 12,000 events/);
});

Deno.test("the progress line says waiting for Kafka while a batch is retried or stalled", () => {
  const stats = summary({ sent: 0, acked: 0, failed: 0, ready: false });
  const render = progressRenderer(stats, ["k:1"], "events");
  assert.equal(render(100), "0.1s  connecting to k:1…");
  Object.assign(stats, { ready: true, sent: 500, acked: 0 });
  const showsRate = (line: string, counts: string) => {
    assert.ok(line.startsWith(`${counts}  `), line);
    assert.match(line.slice(counts.length + 2), /^\d+ events\/s$/);
  };
  showsRate(render(1000), "1.0s  sent 500  acked 0");
  Object.assign(stats, { acked: 500 });
  assert.match(render(2000), /events\/s$/);
  Object.assign(stats, { sent: 1000 }); // the next batch gets no answer
  assert.match(render(4000), /events\/s$/);
  assert.equal(render(5000), "5.0s  sent 1,000  acked 500  waiting for Kafka…");
  Object.assign(stats, { waiting: true, waitReason: "connection refused" });
  assert.equal(
    render(9000),
    "9.0s  sent 1,000  acked 500  waiting for Kafka… (connection refused)",
  );
  Object.assign(stats, { waiting: false, acked: 1000 });
  showsRate(render(10_000), "10.0s  sent 1,000  acked 1,000");
});
