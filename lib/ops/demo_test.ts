import assert from "node:assert/strict";
import { agreementLine, compareByType, renderComparison, typeCounts } from "./demo_compare.ts";
import { nextCommands, recreateCommand } from "./demo_summary.ts";

Deno.test("recreateCommand names the prefix and groups, never just the default tables", () => {
  assert.equal(
    recreateCommand({
      topic: "music_events",
      clickhousePrefix: "",
      musicGroup: "clickhouse-music",
      easyGroup: "clickhouse-easy",
    }),
    "deno task clickhouse:init --drop",
  );
  assert.equal(
    recreateCommand({
      topic: "demo-1",
      clickhousePrefix: "t1_",
      musicGroup: "clickhouse-music-t1",
      easyGroup: "clickhouse-easy-t1",
    }),
    "deno task clickhouse:init --drop --music-topic demo-1 --prefix t1_ " +
      "--music-group clickhouse-music-t1 --easy-group clickhouse-easy-t1",
  );
});

Deno.test("compareByType agrees only when every type has the same count", () => {
  const lake = [
    { eventTypeId: 1, eventType: "track_playback", count: 7 },
    { eventTypeId: 2, eventType: "pause_track", count: 2 },
  ];
  const same = compareByType(lake, [...lake].reverse());
  assert.equal(same.agree, true);
  assert.equal(same.lakeTotal, 9);
  assert.deepEqual(same.rows.map((r) => r.eventTypeId), [1, 2]);

  const missing = compareByType(lake, [lake[0]!]);
  assert.equal(missing.agree, false);
  assert.deepEqual(missing.rows[1], {
    eventTypeId: 2,
    eventType: "pause_track",
    lake: 2,
    clickhouse: 0,
  });

  // Equal totals but different split: still a disagreement.
  const swapped = compareByType(lake, [
    { eventTypeId: 1, eventType: "track_playback", count: 2 },
    { eventTypeId: 2, eventType: "pause_track", count: 7 },
  ]);
  assert.equal(swapped.agree, false);
  assert.equal(swapped.clickhouseTotal, swapped.lakeTotal);

  assert.equal(compareByType([], []).agree, false, "nothing to compare is no agreement");
});

Deno.test("typeCounts reads report rows with their count column", () => {
  assert.deepEqual(
    typeCounts([{ event_type_id: 3, event_type: "resume_track", cnt: 5 }], "cnt"),
    [{ eventTypeId: 3, eventType: "resume_track", count: 5 }],
  );
});

Deno.test("renderComparison and agreementLine", () => {
  const c = compareByType(
    [{ eventTypeId: 1, eventType: "track_playback", count: 1500 }],
    [{ eventTypeId: 1, eventType: "track_playback", count: 1500 }],
  );
  assert.deepEqual(renderComparison(c, "LAKE", "CH"), [
    "  EVENT TYPE         LAKE     CH",
    "  1 track_playback  1,500  1,500  ✓",
    "  total             1,500  1,500  ✓",
  ]);
  assert.match(agreementLine(c), /^✓ Analytics and ClickHouse agree: 1,500 events, 1 event types/);
  const bad = compareByType(c.rows.map((r) => ({ ...r, count: r.lake })), []);
  assert.match(
    agreementLine(bad),
    /^✗ Analytics and ClickHouse disagree: the lake has 1,500 events, ClickHouse 0/,
  );
});

Deno.test("nextCommands carries only the flags that differ from the defaults", () => {
  const plain = nextCommands({
    topic: "music_events",
    group: "music-sink",
    bucket: "prod-python",
    defaultBucket: "prod-python",
    prefix: "music_events",
    clickhousePrefix: "",
  });
  assert.equal(plain[0]![0], "deno task status");
  assert.equal(plain[2]![0], "deno task clickhouse:query by-type");
  const isolated = nextCommands({
    topic: "t1",
    group: "g1",
    bucket: "other",
    defaultBucket: "prod-python",
    prefix: "p1",
    clickhousePrefix: "x_",
  });
  assert.equal(
    isolated[0]![0],
    "deno task status --topic t1 --group g1 --bucket other --prefix p1 --clickhouse-prefix x_",
  );
  assert.equal(isolated[1]![0], "deno task analyze top-countries --bucket other --prefix p1");
  assert.equal(isolated[2]![0], "deno task clickhouse:query by-type --prefix x_");
});
