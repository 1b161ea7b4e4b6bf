import assert from "node:assert/strict";
import { formatBytes, formatCount, formatElapsed, Progress } from "./progress.ts";

Deno.test("on a terminal the line is rewritten in place and cleared on stop", () => {
  const out: string[] = [];
  const p = new Progress({ render: () => "sent 5", tty: true, write: (t) => out.push(t) });
  p.tick();
  p.stop();
  assert.deepEqual(out, ["\r\x1b[2Ksent 5", "\r\x1b[2K"]);
});

Deno.test("when piped each update is a plain line", () => {
  const out: string[] = [];
  const p = new Progress({ render: () => "sent 5", tty: false, write: (t) => out.push(t) });
  p.tick();
  p.tick();
  p.stop();
  assert.deepEqual(out, ["sent 5\n", "sent 5\n"]);
});

Deno.test("formatting helpers", () => {
  assert.equal(formatCount(1234567.4), "1,234,567");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1_536_000), "1.54 MB");
  assert.equal(formatElapsed(1234), "1.2s");
  assert.equal(formatElapsed(123_000), "2m03s");
  assert.equal(formatElapsed(3_720_000), "1h02m");
});
