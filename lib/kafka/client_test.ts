import assert from "node:assert/strict";
import kafkajs, { CompressionCodecs, CompressionTypes } from "kafkajs";
import { Buffer } from "node:buffer";
import { UserError } from "../core/errors.ts";
import {
  brokerRefusal,
  compressionType,
  connectionFailure,
  kafkaError,
  registerZstd,
  transientFailure,
} from "./client.ts";

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

// kafkajs spreads its error classes into module.exports, which defeats named ESM imports.
const {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} = kafkajs;
const KafkaJSCreateTopicError = (kafkajs as unknown as Record<
  string,
  new (e: unknown, topic: string) => Error
>).KafkaJSCreateTopicError!;

/** A kafkajs protocol error as its response parsers build it (createErrorFromCode). */
function protocolError(type: string, message: string, retriable = false) {
  return new KafkaJSProtocolError({ type, code: 17, retriable, message } as unknown as Error);
}

Deno.test("kafkaError turns non-retriable broker refusals into a one-line UserError", () => {
  const invalid = "The request attempted to perform an operation on an invalid topic";
  // consumer.subscribe → metadata: a bare protocol error.
  const e1 = kafkaError(protocolError("INVALID_TOPIC_EXCEPTION", invalid), ["b:1"]);
  assert.ok(e1 instanceof UserError);
  assert.equal(e1.message, `Kafka refused: ${invalid} (INVALID_TOPIC_EXCEPTION)`);

  // admin.createTopics: an aggregate of per-topic KafkaJSCreateTopicError.
  const agg = new KafkaJSAggregateError("Topic creation errors", [
    new KafkaJSCreateTopicError(
      { type: "POLICY_VIOLATION", code: 44, retriable: false, message: "Policy says no" },
      "t1",
    ),
  ]);
  const e2 = kafkaError(agg, ["b:1"]);
  assert.ok(e2 instanceof UserError);
  assert.equal(e2.message, `Kafka refused: Policy says no (POLICY_VIOLATION for topic "t1")`);
  assert.ok(!e2.message.includes("\n"));

  // Wrapped by the retrier, as kafkajs's retry/index.js does.
  const denied = protocolError("TOPIC_AUTHORIZATION_FAILED", "Not authorized");
  const NonRetriable = KafkaJSNonRetriableError as unknown as new (
    e: Error,
    o: { cause: Error },
  ) => Error;
  const wrapped = new NonRetriable(denied, { cause: denied });
  assert.equal(brokerRefusal(wrapped), "Not authorized (TOPIC_AUTHORIZATION_FAILED)");

  // Retriable protocol errors and unrelated errors pass through unchanged.
  const retriable = protocolError("LEADER_NOT_AVAILABLE", "no leader", true);
  assert.equal(kafkaError(retriable, ["b:1"]), retriable);
  assert.equal(brokerRefusal(new Error("boom")), undefined);
});

Deno.test("transientFailure: an outage or a leader move is transient, a refusal is not", () => {
  // What producer.send() rejects with when the broker is down: the cluster's
  // reconnect gave up, and the send's retrier wrapped that as non-retriable.
  const refused = new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:1");
  const reconnectGaveUp = new KafkaJSNumberOfRetriesExceeded(refused, {
    retryCount: 5,
    retryTime: 2000,
  });
  const NonRetriable = KafkaJSNonRetriableError as unknown as new (
    e: Error,
    o: { cause: Error },
  ) => Error;
  const sendRejected = new NonRetriable(reconnectGaveUp, { cause: reconnectGaveUp });
  assert.equal((sendRejected as { retriable?: boolean }).retriable, false);
  assert.equal(transientFailure(sendRejected), "connection refused");

  const leader = protocolError("LEADER_NOT_AVAILABLE", "no leader", true);
  assert.equal(
    transientFailure(
      new KafkaJSNumberOfRetriesExceeded(leader, { retryCount: 8, retryTime: 3000 }),
    ),
    "LEADER_NOT_AVAILABLE",
  );
  assert.equal(
    transientFailure(
      new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out"),
    ),
    "request timed out",
  );

  // Permanent: the broker refused for good, or something that is not Kafka's doing.
  assert.equal(transientFailure(protocolError("MESSAGE_TOO_LARGE", "too large")), undefined);
  const denied = protocolError("TOPIC_AUTHORIZATION_FAILED", "Not authorized");
  assert.equal(transientFailure(new NonRetriable(denied, { cause: denied })), undefined);
  assert.equal(transientFailure(new TypeError("x is undefined")), undefined);
  assert.equal(transientFailure(new Error("boom")), undefined);
});
