import assert from "node:assert/strict";
import { optionalValue } from "../core/flags.ts";
import { isWatchPeriod } from "./status_watch.ts";

/** The old `normalizeWatch(args, fallback)`, now core's optionalValue with the status's rule. */
function normalizeWatch(args: readonly string[], fallback: string): string[] {
  return optionalValue(args, "--watch", isWatchPeriod, fallback);
}

Deno.test("normalizeWatch gives a bare --watch the default period", () => {
  assert.deepEqual(normalizeWatch(["--watch"], "2"), ["--watch=2"]);
  assert.deepEqual(normalizeWatch(["--watch", "--format", "json"], "2"), [
    "--watch=2",
    "--format",
    "json",
  ]);
  assert.deepEqual(normalizeWatch(["--watch", "5"], "2"), ["--watch", "5"]);
  assert.deepEqual(normalizeWatch(["--watch", "500ms"], "2"), ["--watch", "500ms"]);
  assert.deepEqual(normalizeWatch(["--watch=7"], "2"), ["--watch=7"]);
  assert.deepEqual(normalizeWatch(["--", "--watch"], "2"), ["--", "--watch"]);
});
