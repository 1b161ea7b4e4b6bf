import assert from "node:assert/strict";
import { groupTopicLag, topicStatus } from "./status_kafka.ts";
import { summarizeLake } from "./status_lake.ts";
import { exitCode, type StatusReport } from "./status_report.ts";
import { columns, renderStatus } from "./status_render.ts";

Deno.test("columns pads every column but the last, right-aligns where asked", () => {
  assert.deepEqual(columns([["a", "1", "x"], ["bbb", "22", "y"]], [false, true]), [
    "a     1  x",
    "bbb  22  y",
  ]);
});

function report(over: Partial<StatusReport> = {}): StatusReport {
  return {
    generatedAt: "2024-05-01T10:00:00.000Z",
    ok: true,
    services: [
      { name: "kafka", endpoint: "127.0.0.1:9092", up: true, pid: 11, detail: "" },
      { name: "s3", endpoint: "http://127.0.0.1:9000", up: true, pid: null, detail: "" },
      { name: "clickhouse", endpoint: "http://127.0.0.1:8123", up: true, pid: 13, detail: "" },
    ],
    kafka: {
      available: true,
      topics: [
        topicStatus("music_events", [
          { partition: 0, low: 0, high: 1200 },
          { partition: 1, low: 0, high: 800 },
        ]),
        { topic: "music_events.dlq", exists: false, partitions: [], messages: 0 },
      ],
      groups: [
        {
          group: "music-sink",
          state: "Empty",
          members: 0,
          lag: 0,
          topics: [
            groupTopicLag(
              topicStatus("music_events", [
                { partition: 0, low: 0, high: 1200 },
                { partition: 1, low: 0, high: 800 },
              ]),
              [{ partition: 0, offset: 1200 }, { partition: 1, offset: 800 }],
            ),
          ],
        },
        { group: "clickhouse-easy", state: "Unknown", members: 0, lag: 0, topics: [] },
      ],
      dlq: { topic: "music_events.dlq", exists: false, messages: 0 },
    },
    lake: {
      available: true,
      ...summarizeLake("prod-python", "music_events", [
        { key: "music_events/dt=2024-05-01/a.parquet", size: 2_500_000 },
      ]),
    },
    clickhouse: {
      available: true,
      version: "18.16.1",
      tables: [
        { table: "music_consumer_phys", rows: 2000 },
        { table: "easy_consumer_phys", rows: null },
      ],
    },
    ...over,
  };
}

Deno.test("renderStatus shows every section with the figures", () => {
  const text = renderStatus(report());
  assert.match(text, /^Pipeline status at 2024-05-01 10:00:00 UTC: all services up/);
  assert.match(text, /kafka\s+up\s+127\.0\.0\.1:9092\s+pid 11/);
  assert.match(text, /s3\s+up\s+http:\/\/127\.0\.0\.1:9000\s+external/);
  assert.match(text, /music_events\s+2\s+2,000\s+0:1,200 {2}1:800/);
  assert.match(text, /music_events\.dlq\s+-\s+-\s+\(does not exist\)/);
  assert.match(text, /music-sink\s+music_events\s+Empty\s+0\s+0\s+0:0 {2}1:0/);
  assert.match(text, /clickhouse-easy\s+-\s+Unknown.*\(no such group\)/);
  assert.match(text, /DEAD LETTERS {2}music_events\.dlq: none/);
  assert.match(text, /LAKE {2}s3:\/\/prod-python\/music_events\//);
  assert.match(text, /2024-05-01\s+1\s+2\.50 MB/);
  assert.match(text, /music_consumer_phys\s+2,000 rows/);
  assert.match(text, /easy_consumer_phys\s+not initialised/);
  assert.equal(exitCode(report()), 0);
});

Deno.test("renderStatus shows a down service and its sections as unavailable", () => {
  const r = report({
    ok: false,
    services: [
      { name: "kafka", endpoint: "127.0.0.1:9092", up: false, pid: null, detail: "refused" },
      { name: "s3", endpoint: "http://127.0.0.1:9000", up: true, pid: 12, detail: "" },
      { name: "clickhouse", endpoint: "http://127.0.0.1:8123", up: true, pid: 13, detail: "" },
    ],
    kafka: { available: false, reason: "kafka is down at 127.0.0.1:9092" },
  });
  const text = renderStatus(r);
  assert.match(text, /: kafka down/);
  assert.match(text, /kafka\s+DOWN\s+127\.0\.0\.1:9092\s+refused/);
  assert.match(text, /KAFKA {2}unavailable: kafka is down at 127\.0\.0\.1:9092/);
  assert.match(text, /LAKE {2}s3:/);
  assert.equal(exitCode(r), 1);
});

Deno.test("renderStatus: a cluster shows one row per Kafka node and every broker", () => {
  const node = (i: number, up: boolean) => ({
    name: `kafka-${i}` as const,
    endpoint: `127.0.0.1:${9090 + 2 * i}`,
    up,
    pid: up ? 20 + i : null,
    detail: up ? "" : "refused",
  });
  const r = report({
    ok: false,
    services: [
      node(1, true),
      node(2, false),
      node(3, true),
      { name: "s3", endpoint: "http://127.0.0.1:9000", up: true, pid: 12, detail: "" },
      { name: "clickhouse", endpoint: "http://127.0.0.1:8123", up: true, pid: 13, detail: "" },
    ],
  });
  const text = renderStatus(r);
  assert.match(text, /: kafka-2 down/);
  assert.match(text, /kafka-1\s+up\s+127\.0\.0\.1:9092\s+pid 21/);
  assert.match(text, /kafka-2\s+DOWN\s+127\.0\.0\.1:9094\s+refused/);
  assert.match(text, /kafka-3\s+up\s+127\.0\.0\.1:9096\s+pid 23/);
  assert.match(text, /KAFKA {2}127\.0\.0\.1:9092,127\.0\.0\.1:9094,127\.0\.0\.1:9096\n/);
  assert.equal(exitCode(r), 1);
});

Deno.test("renderStatus: an empty lake and a missing bucket say so", () => {
  const empty = report({ lake: { available: true, ...summarizeLake("b", "p", []) } });
  assert.match(renderStatus(empty), /LAKE {2}s3:\/\/b\/p\/ {2}empty/);
  const missing = report({
    lake: { available: true, ...summarizeLake("b", "p", []), bucketExists: false },
  });
  assert.match(renderStatus(missing), /bucket does not exist/);
});
