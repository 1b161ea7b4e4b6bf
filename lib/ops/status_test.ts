import assert from "node:assert/strict";
import { groupTopicLag, isInternalTopic, topicStatus } from "./status_kafka.ts";
import { summarizeLake } from "./status_lake.ts";

Deno.test("internal topics start with two underscores", () => {
  assert.equal(isInternalTopic("__consumer_offsets"), true);
  assert.equal(isInternalTopic("music_events"), false);
  assert.equal(isInternalTopic("_single"), false);
});

Deno.test("topicStatus sorts partitions and sums high − low", () => {
  const t = topicStatus("t", [
    { partition: 2, low: "5", high: "10" },
    { partition: 0, low: "0", high: "7" },
    { partition: 1, low: 0, high: 0 },
  ]);
  assert.deepEqual(t.partitions.map((p) => p.partition), [0, 1, 2]);
  assert.equal(t.messages, 12);
  assert.equal(t.exists, true);
});

Deno.test("groupTopicLag: every partition, -1 means no commit, lag never below 0", () => {
  const t = topicStatus("t", [
    { partition: 0, low: "0", high: "100" },
    { partition: 1, low: "20", high: "50" },
    { partition: 2, low: "0", high: "0" },
  ]);
  const lag = groupTopicLag(t, [{ partition: 0, offset: "90" }, { partition: 1, offset: "-1" }]);
  assert.deepEqual(lag.partitions, [
    { partition: 0, committed: 90, end: 100, lag: 10 },
    // No commit: everything retained is still to read.
    { partition: 1, committed: null, end: 50, lag: 30 },
    { partition: 2, committed: null, end: 0, lag: 0 },
  ]);
  assert.equal(lag.lag, 40);
});

Deno.test("groupTopicLag: a commit below the retained start lags by what is retained", () => {
  const t = topicStatus("t", [{ partition: 0, low: "40", high: "50" }]);
  assert.equal(groupTopicLag(t, [{ partition: 0, offset: "10" }]).lag, 10);
  assert.equal(groupTopicLag(t, [{ partition: 0, offset: "50" }]).lag, 0);
});

Deno.test("summarizeLake sums objects and bytes per dt= date, others apart", () => {
  const l = summarizeLake("b", "/music_events/", [
    { key: "music_events/dt=2024-05-02/t+0+0.parquet", size: 10 },
    { key: "music_events/dt=2024-05-01/t+0+0.parquet", size: 5 },
    { key: "music_events/dt=2024-05-02/t+1+0.parquet", size: 20 },
    { key: "music_events/notes.txt", size: 3 },
    { key: "music_events/dt=2024-05-02/deeper/x.parquet", size: 4 },
    // Another prefix that merely starts the same is not ours.
    { key: "music_events2/dt=2024-05-02/t+0+0.parquet", size: 99 },
  ]);
  assert.equal(l.prefix, "music_events");
  assert.deepEqual(l.dates, [
    { date: "2024-05-01", objects: 1, bytes: 5 },
    { date: "2024-05-02", objects: 2, bytes: 30 },
  ]);
  assert.equal(l.objects, 3);
  assert.equal(l.bytes, 35);
  assert.deepEqual(l.other, { objects: 2, bytes: 7 });
});

Deno.test("summarizeLake with an empty prefix reads dt= folders at the bucket root", () => {
  const l = summarizeLake("b", "", [{ key: "dt=2024-05-01/a.parquet", size: 1 }]);
  assert.equal(l.objects, 1);
});
