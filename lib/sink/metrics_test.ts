import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { metricsText } from "./metrics.ts";

Deno.test("metricsText: Prometheus counters and a lag gauge per partition", () => {
  const text = metricsText({
    records: 10,
    deadLetters: 2,
    files: 3,
    bytes: 4096,
    flushes: 3,
    s3Retries: 1,
    restarts: 0,
    lag: new Map([[0, 5], [1, 0]]),
    startedAt: 0,
  }, "music_events");
  const samples = text.split("\n").filter((l) => l && !l.startsWith("#"));
  assertEquals(samples, [
    'sink_records_total{topic="music_events"} 10',
    'sink_dead_letters_total{topic="music_events"} 2',
    'sink_files_total{topic="music_events"} 3',
    'sink_bytes_total{topic="music_events"} 4096',
    'sink_s3_retries_total{topic="music_events"} 1',
    'sink_consumer_restarts_total{topic="music_events"} 0',
    'sink_lag_records{topic="music_events",partition="0"} 5',
    'sink_lag_records{topic="music_events",partition="1"} 0',
  ]);
  assert(text.includes("# TYPE sink_lag_records gauge"));
  assert(text.endsWith("\n"));
});
