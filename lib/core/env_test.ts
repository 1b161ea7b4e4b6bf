import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { cacheDir, DEFAULTS, kafkaNodeCount, loadConfig } from "./env.ts";
import { ConfigError } from "./errors.ts";
import { checkTopicName, parseBytes, parseCount, parseDuration } from "./flags.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("loadConfig: defaults match .env.example and the seed", () => {
  const cfg = loadConfig(envOf({}));
  assertEquals(cfg.kafkaBrokers, ["127.0.0.1:9092"]);
  assertEquals(cfg.kafkaNodes, 1);
  assertEquals(cfg.s3, {
    endpoint: "http://127.0.0.1:9000",
    region: "us-east-1",
    bucket: "prod-python",
    accessKey: "minioadmin",
    secretKey: "minioadmin",
  });
  assertEquals(cfg.clickhouse, { url: "http://127.0.0.1:8123", user: "click", password: "click" });
});

Deno.test("loadConfig: .env.example lists exactly the variables we read", async () => {
  const text = await Deno.readTextFile(new URL("../../.env.example", import.meta.url));
  const vars = Object.fromEntries(
    text.split("\n").filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) =>
      l.split("=", 2) as [string, string]
    ),
  );
  const cfg = loadConfig(envOf(vars));
  assertEquals(cfg, loadConfig(envOf({})));
  assertEquals(Object.keys(vars).sort(), Object.keys(DEFAULTS).sort());
});

Deno.test("loadConfig: several brokers and trailing slashes", () => {
  const cfg = loadConfig(envOf({
    KAFKA_BROKERS: "a:9092, b:9093",
    S3_ENDPOINT: "https://s3.example.com/",
  }));
  assertEquals(cfg.kafkaBrokers, ["a:9092", "b:9093"]);
  assertEquals(cfg.s3.endpoint, "https://s3.example.com");
});

Deno.test("loadConfig: bad values name the variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ KAFKA_BROKERS: "localhost" }, /KAFKA_BROKERS has "localhost"; expected host:port/],
    [{ KAFKA_BROKERS: "h:99999" }, /KAFKA_BROKERS/],
    [{ S3_ENDPOINT: "127.0.0.1:9000" }, /S3_ENDPOINT .*http/],
    [{ CLICKHOUSE_URL: "not a url" }, /CLICKHOUSE_URL/],
    [{ S3_BUCKET: "Bad_Bucket" }, /S3_BUCKET has "Bad_Bucket"/],
    [{ ACCESS_KEY: "  " }, /ACCESS_KEY is set but empty/],
    [
      { KAFKA_NODES: "three" },
      /KAFKA_NODES has "three"; expected a number of Kafka nodes from 1 to 5/,
    ],
    [{ KAFKA_NODES: "0" }, /KAFKA_NODES has "0"/],
    [{ KAFKA_NODES: "6" }, /KAFKA_NODES has "6"/],
    [{ KAFKA_NODES: "2.5" }, /KAFKA_NODES has "2.5"/],
    [{ KAFKA_NODES: "" }, /KAFKA_NODES has ""/],
  ];
  for (const [vars, message] of cases) {
    assertThrows(() => loadConfig(envOf(vars)), ConfigError);
    assertThrows(() => loadConfig(envOf(vars)), message);
  }
});

Deno.test("KAFKA_NODES: 1 by default, 1 to 5 accepted, blanks ignored", () => {
  assertEquals(kafkaNodeCount(envOf({})), 1);
  assertEquals(loadConfig(envOf({ KAFKA_NODES: "3" })).kafkaNodes, 3);
  assertEquals(kafkaNodeCount(envOf({ KAFKA_NODES: " 5 " })), 5);
});

Deno.test("KAFKA_NODES: a task not allowed to read it gets the default", () => {
  const denied = (name: string) => {
    if (name === "KAFKA_NODES") throw new Deno.errors.NotCapable("no env access");
    return undefined;
  };
  assertEquals(kafkaNodeCount(denied), 1);
});

Deno.test("parseDuration, parseCount, parseBytes", () => {
  assertEquals(parseDuration("30s", "--d"), 30_000);
  assertEquals(parseDuration("500ms", "--d"), 500);
  assertEquals(parseDuration("2m", "--d"), 120_000);
  assertEquals(parseDuration("1.5", "--d"), 1500);
  assertThrows(() => parseDuration("soon", "--duration"), /--duration has "soon"/);
  assertEquals(parseCount("42", "--count"), 42);
  assertThrows(() => parseCount("-1", "--count"), /--count/);
  assertThrows(() => parseCount("0", "--partitions", 1), /≥ 1/);
  assertEquals(parseBytes("64MiB", "--max-bytes"), 64 * 1024 * 1024);
  assertEquals(parseBytes("1000", "--max-bytes"), 1000);
  assertThrows(() => parseBytes("lots", "--max-bytes"), /--max-bytes/);
});

Deno.test("cacheDir: STACK_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache", () => {
  assertEquals(cacheDir(envOf({ STACK_CACHE_DIR: "/x", XDG_CACHE_HOME: "/c" })), "/x");
  assertEquals(cacheDir(envOf({ XDG_CACHE_HOME: "/c", HOME: "/h" })), "/c/music-pipeline");
  assertEquals(cacheDir(envOf({ HOME: "/home/u" })), "/home/u/.cache/music-pipeline");
  assertThrows(() => cacheDir(envOf({})), ConfigError);
});

Deno.test("checkTopicName: Kafka's rule, with the flag in the message", () => {
  for (const ok of ["music_events", "my_topic", "a", "A.b-C_9", "..x", "x".repeat(249)]) {
    assertEquals(checkTopicName(ok, "--topic"), ok);
  }
  for (const bad of ["", ".", "..", "bad topic", "a/b", "tést", "a:b", "x".repeat(250)]) {
    assertThrows(
      () => checkTopicName(bad, "--topic"),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.startsWith(`--topic has "${bad}"; a Kafka topic name`),
    );
  }
});
