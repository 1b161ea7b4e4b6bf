import assert from "node:assert/strict";
import { clusterId } from "./prepare.ts";

Deno.test("cluster ids are 22 base64url characters and never start with '-'", () => {
  // 1 in 64 random ids would start with "-"; among 2000, one would all but surely show.
  for (let i = 0; i < 2000; i++) {
    const id = clusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});
