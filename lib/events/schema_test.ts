import assert from "node:assert/strict";
import { EventGenerator } from "./generator.ts";
import { EVENT_COLUMNS, type MusicEvent } from "./schema.ts";

const SAMPLE = new EventGenerator({ seed: 7, now: () => 1_700_000_000_123 }).next();

function sample(): MusicEvent {
  return structuredClone(SAMPLE);
}

Deno.test("EVENT_COLUMNS lists the seed's flattened columns in seed order", () => {
  assert.deepEqual(EVENT_COLUMNS.map((c) => c.name), [
    "event_param.event_type_id",
    "event_param.event_type",
    "event_param.user_id",
    "event_param.platform_token",
    "event_param.ipv4",
    "event_param.country",
    "event_param.uuid_track",
    "event_timestamp.ts",
    "event_timestamp.ts_ms",
  ]);
  const e = sample();
  for (const c of EVENT_COLUMNS) {
    assert.equal(c.name, `${c.group}.${c.field}`);
    assert.equal(c.get(e), (e[c.group] as Record<string, unknown>)[c.field]);
  }
});
