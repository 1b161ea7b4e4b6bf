import assert from "node:assert/strict";
import { checkHost, checkPrivileged, checkSameOrigin, redact, TOKEN_HEADER } from "./guard.ts";

const b = { host: "127.0.0.1", port: 8080 };
const hdr = (h: Record<string, string>) => new Headers(h);

Deno.test("console guard: only the bound address or localhost with the port pass as Host", () => {
  assert.equal(checkHost(hdr({ host: "127.0.0.1:8080" }), b), undefined);
  assert.equal(checkHost(hdr({ host: "LOCALHOST:8080" }), b), undefined);
  for (
    const host of ["attacker.example", "attacker.example:8080", "127.0.0.1", "localhost:8081", ""]
  ) {
    assert.equal(checkHost(hdr({ host }), b)?.status, 421, host);
  }
  // Bound to another address, localhost is not that address.
  assert.equal(
    checkHost(hdr({ host: "localhost:8080" }), { host: "192.168.1.5", port: 8080 })?.status,
    421,
  );
});

Deno.test("console guard: cross-site requests are refused by Sec-Fetch-Site or Origin", () => {
  assert.equal(checkSameOrigin(hdr({ "sec-fetch-site": "same-origin" }), b), undefined);
  assert.equal(checkSameOrigin(hdr({ origin: "http://127.0.0.1:8080" }), b), undefined);
  assert.equal(checkSameOrigin(hdr({ "sec-fetch-site": "cross-site" }), b)?.status, 403);
  assert.equal(checkSameOrigin(hdr({ "sec-fetch-site": "same-site" }), b)?.status, 403);
  assert.equal(checkSameOrigin(hdr({ origin: "http://evil.example" }), b)?.status, 403);
  assert.equal(checkSameOrigin(hdr({ origin: "null" }), b)?.status, 403);
});

Deno.test("console guard: privileged requests need JSON and the exact token", () => {
  const ok = { "content-type": "application/json", [TOKEN_HEADER]: "t0ken" };
  assert.equal(checkPrivileged(hdr(ok), b, "t0ken"), undefined);
  assert.equal(checkPrivileged(hdr({ ...ok, [TOKEN_HEADER]: "t0kem" }), b, "t0ken")?.status, 403);
  assert.equal(
    checkPrivileged(hdr({ "content-type": "application/json" }), b, "t0ken")?.status,
    403,
  );
  assert.equal(
    checkPrivileged(hdr({ ...ok, "content-type": "text/plain" }), b, "t0ken")?.status,
    415,
  );
  assert.equal(
    checkPrivileged(hdr({ ...ok, origin: "http://x.example" }), b, "t0ken")?.status,
    403,
  );
});

Deno.test("console guard: redact replaces whole-word secrets only", () => {
  assert.equal(
    redact(`{"k":"click","s":"ClickHouse","x":"minioadmin"}`, ["click", "minioadmin"]),
    `{"k":"[redacted]","s":"ClickHouse","x":"[redacted]"}`,
  );
  assert.equal(redact("a+b (x)", ["a+b"]), "[redacted] (x)");
});
