import assert from "node:assert/strict";
import { describeConnectError, parseServerError } from "./client.ts";

Deno.test("parseServerError reads 18.16 and modern error bodies", () => {
  assert.deepEqual(
    parseServerError(
      "Code: 193, e.displayText() = DB::Exception: Wrong password for user click, e.what() = DB::Exception\n",
    ),
    { code: 193, reason: "Wrong password for user click" },
  );
  assert.deepEqual(
    parseServerError(
      "Code: 60. DB::Exception: Table default.x does not exist. (UNKNOWN_TABLE) (version 24.3.1.1 (official build))\n",
    ),
    { code: 60, reason: "Table default.x does not exist. (UNKNOWN_TABLE)" },
  );
  assert.deepEqual(parseServerError("<html>Not Found</html>"), {
    code: undefined,
    reason: "<html>Not Found</html>",
  });
});

Deno.test("describeConnectError names the usual causes", () => {
  const refused = new TypeError(
    "error sending request for url (http://127.0.0.1:8123/): client error (Connect): tcp connect error: Connection refused (os error 111)",
  );
  assert.equal(describeConnectError(refused), "connection refused");
  assert.equal(
    describeConnectError(new TypeError("dns error: failed to lookup address information")),
    "host not found",
  );
  assert.equal(describeConnectError(new Error("something else\nmore")), "something else");
});
