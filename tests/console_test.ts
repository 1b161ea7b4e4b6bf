/**
 * `deno task ui` against the real stack: a real headless Chromium (Debian's
 * `/usr/bin/chromium`, driven by playwright-core) sees a new topic with its
 * message count, opens a message's JSON, and watches the sink's lag fall to
 * 0; plain HTTP checks the guards (foreign Host, cross-site, token, read-only
 * SQL) and that no secret reaches any response.
 *
 * @module
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { createKafka } from "../lib/kafka/client.ts";
import {
  deleteTestPrefix,
  ensureStack,
  runTask,
  testConfig,
  uniqueName,
  waitFor,
} from "./helpers.ts";
import { rawGet, secretsIn, startConsoleProcess } from "./console_helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const N = 1234;

/** A topic with N events, a sink group committed at 0 (lag N), cleaned up after. */
async function withPipeline(
  fn: (p: { topic: string; group: string; prefix: string }) => Promise<void>,
): Promise<void> {
  await ensureStack();
  const cfg = testConfig();
  const topic = uniqueName("console");
  const group = uniqueName("console-sink");
  const prefix = topic;
  const admin = createKafka({ brokers: cfg.kafkaBrokers }).admin();
  await admin.connect();
  try {
    const p = await runTask("produce", ["--topic", topic, "--count", String(N), "--rate", "0"]);
    assert.deepStrictEqual(p.code, 0, p.stderr);
    const parts = await admin.fetchTopicOffsets(topic);
    // A commit at 0 makes the group known with lag N before the sink runs.
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: parts.map((x) => ({ partition: x.partition, offset: "0" })),
    });
    await fn({ topic, group, prefix });
  } finally {
    await admin.deleteGroups([group]).catch(() => {});
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => {});
    await admin.disconnect();
    await deleteTestPrefix(prefix);
  }
}

async function runSink(topic: string, group: string, prefix: string): Promise<void> {
  const s = await runTask("sink", [
    "--topic",
    topic,
    "--group",
    group,
    "--prefix",
    prefix,
    "--until-idle",
    "2s",
  ]);
  assert.deepStrictEqual(s.code, 0, s.stderr);
}

Deno.test({
  name: hasChromium
    ? "console: in Chromium, a new topic shows its messages and the sink's lag falls to 0"
    : "console: browser test [ignored: /usr/bin/chromium is not installed]",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withPipeline(async ({ topic, group, prefix }) => {
      const ui = await startConsoleProcess([
        "--topic",
        topic,
        "--group",
        group,
        "--prefix",
        prefix,
      ]);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const outside: string[] = [];
        page.on("request", (r) => {
          if (!r.url().startsWith(ui.url)) outside.push(r.url());
        });
        await page.goto(`${ui.url}/?token=${ui.token}#topics`);
        // The token leaves the address bar once the page has taken it.
        assert.ok(!page.url().includes(ui.token));
        const row = page.locator(`tr[data-topic="${topic}"]`);
        const count = () => row.locator("td").nth(2).textContent().catch(() => null);
        assert.ok(await waitFor(async () => (await count()) === N.toLocaleString("en-US"), 30_000));

        // Open the topic, read partition 0's newest messages, open one.
        await row.click();
        await page.locator('[data-action="browse"]').click();
        const first = page.locator("tr[data-offset]").first();
        await first.waitFor({ timeout: 30_000 });
        const key = await first.locator("td").nth(2).textContent();
        await first.click();
        const json = JSON.parse(await page.locator("pre.json").textContent() ?? "");
        assert.deepStrictEqual(json.event_param.user_id, key, "the message's key is its user_id");
        assert.ok([1, 2, 3].includes(json.event_param.event_type_id));

        // Consumer groups: lag N before the sink, 0 after it.
        await page.goto(`${ui.url}/#groups`);
        const lag = page.locator(`[data-group="${group}"] .lag`);
        const lagText = () => lag.textContent({ timeout: 1000 }).catch(() => null);
        assert.ok(
          await waitFor(async () => (await lagText()) === N.toLocaleString("en-US"), 30_000),
        );
        await runSink(topic, group, prefix);
        assert.ok(await waitFor(async () => (await lagText()) === "0", 30_000));

        // The overview draws the pipeline with the lake filled.
        await page.goto(`${ui.url}/#overview`);
        await page.locator('[data-box="lake"]').waitFor({ timeout: 30_000 });
        const shot = await page.screenshot({ type: "png" });
        assert.ok(shot.length > 10_000);
        if (Deno.env.get("UPDATE_SCREENSHOT") === "1") {
          await Deno.writeFile(new URL("../docs/console.png", import.meta.url), shot);
        }
        assert.deepStrictEqual(outside, [], "the page asked for nothing but the console itself");
      } finally {
        await browser.close();
        await ui.stop();
      }
    }),
});

Deno.test({
  name:
    "console: foreign Host, cross-site and token-less requests are refused; SQL is read-only; no secret in any answer",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withPipeline(async ({ topic, group, prefix }) => {
      await runSink(topic, group, prefix);
      const ui = await startConsoleProcess([
        "--topic",
        topic,
        "--group",
        group,
        "--prefix",
        prefix,
      ]);
      const cfg = testConfig();
      const secrets = [cfg.s3.secretKey, cfg.s3.accessKey, cfg.clickhouse.password];
      const bodies: string[] = [];
      const call = async (path: string, init: RequestInit = {}) => {
        const r = await fetch(ui.url + path, init);
        const text = await r.text();
        bodies.push(text);
        return { status: r.status, text };
      };
      const sql = (q: string, headers: Record<string, string> = {}) =>
        call("/api/sql", {
          method: "POST",
          headers: { "content-type": "application/json", "x-console-token": ui.token, ...headers },
          body: JSON.stringify({ sql: q }),
        });
      try {
        const port = new URL(ui.url).port;
        assert.deepStrictEqual(await rawGet(ui.url, "/api/overview", "attacker.example"), 421);
        assert.deepStrictEqual(await rawGet(ui.url, "/", `attacker.example:${port}`), 421);
        assert.deepStrictEqual(await rawGet(ui.url, "/api/overview", `localhost:${port}`), 200);
        assert.deepStrictEqual((await sql("SELECT 1", { "x-console-token": "wrong" })).status, 403);
        assert.deepStrictEqual(
          (await sql("SELECT 1", { origin: "http://evil.example" })).status,
          403,
        );
        assert.deepStrictEqual(
          (await sql("SELECT 1", { "sec-fetch-site": "cross-site" })).status,
          403,
        );
        const ok = await sql("SELECT count(*) AS n FROM events");
        assert.deepStrictEqual([ok.status, JSON.parse(ok.text).rows], [200, [[N]]]);
        for (
          const bad of [
            "COPY (SELECT 1) TO '/tmp/console-test.csv'",
            "ATTACH 'x.db'",
            "INSTALL httpfs",
            "SET threads = 1",
            "PRAGMA version",
            "CREATE TABLE t AS SELECT 1",
            "SELECT 1; DROP VIEW events",
            "SELECT * FROM duckdb_secrets()",
            "SELECT * FROM query('SELECT * FROM duckdb_secrets()')",
            "SELECT * FROM read_text('/etc/passwd')",
            "SELECT current_setting('s3_secret_access_key')",
          ]
        ) {
          const r = await sql(bad);
          assert.deepStrictEqual(r.status, 400, `${bad} → ${r.text}`);
        }
        await waitFor(
          async () => JSON.parse((await call("/api/overview")).text).report !== null,
          30_000,
        );
        for (
          const path of [
            "/api/overview",
            "/api/groups",
            "/api/lake/objects",
            "/api/reports",
            "/api/report?name=count",
            "/api/clickhouse/queries",
            "/api/clickhouse/errors",
          ]
        ) {
          const r = await call(path);
          assert.deepStrictEqual(r.status, 200, `${path} → ${r.text.slice(0, 200)}`);
        }
        const msgs = await call("/api/messages", {
          method: "POST",
          headers: { "content-type": "application/json", "x-console-token": ui.token },
          body: JSON.stringify({ topic, partition: 0, limit: 5 }),
        });
        assert.deepStrictEqual(msgs.status, 200, msgs.text);
        // API answers only: the page itself is static code (where "click" is an event name).
        assert.deepStrictEqual(secretsIn(bodies.join("\n"), secrets), []);
        assert.deepStrictEqual((await call("/")).status, 200);
      } finally {
        await ui.stop();
      }
    }),
});
