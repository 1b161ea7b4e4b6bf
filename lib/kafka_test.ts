import assert from "node:assert/strict";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { Buffer } from "node:buffer";
import { UserError } from "./cli.ts";
import { compressionType, connectionFailure, kafkaError, registerZstd } from "./kafka.ts";

Deno.test("compression names map to kafkajs types", () => {
  assert.equal(compressionType("zstd"), CompressionTypes.ZSTD);
  assert.equal(compressionType("gzip"), CompressionTypes.GZIP);
  assert.equal(compressionType("none"), CompressionTypes.None);
});

Deno.test("the registered zstd codec round-trips", async () => {
  registerZstd();
  const codec = (CompressionCodecs as Record<
    number,
    () => {
      compress(e: { buffer: Buffer }): Promise<Buffer>;
      decompress(b: Buffer): Promise<Buffer>;
    }
  >)[CompressionTypes.ZSTD]!();
  const data = Buffer.from("hello ".repeat(1000));
  const packed = await codec.compress({ buffer: data });
  assert.ok(packed.length < data.length / 10);
  assert.deepEqual(await codec.decompress(packed), data);
});

Deno.test("connection failures in kafkajs error chains are recognised", () => {
  const nested = (msg: string, code?: string) => ({
    name: "KafkaJSNonRetriableError",
    message: "x",
    originalError: { name: "KafkaJSConnectionError", message: msg, code },
  });
  assert.equal(
    connectionFailure(nested("Connection error: connect ECONNREFUSED 127.0.0.1:9092")),
    "connection refused",
  );
  assert.equal(connectionFailure(nested("getaddrinfo ENOTFOUND nohost")), "host not found");
  assert.equal(connectionFailure(nested("Connection timeout")), "connection timed out");
  assert.equal(
    connectionFailure(nested("Closed connection")),
    "connection closed before the broker answered",
  );
  assert.equal(connectionFailure(new Error("This server does not host this topic")), undefined);
});

Deno.test("kafkaError turns connection failures into a one-line UserError", () => {
  const e = kafkaError(
    { message: "Connection error: connect ECONNREFUSED 127.0.0.1:9092" },
    ["127.0.0.1:9092"],
  );
  assert.ok(e instanceof UserError);
  assert.equal(e.message, "Cannot connect to Kafka at 127.0.0.1:9092: connection refused");
  const other = new Error("boom");
  assert.equal(kafkaError(other, ["b:1"]), other);
});
