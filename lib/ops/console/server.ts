/**
 * `deno task ui`: the pipeline console on http://127.0.0.1:8080. Serves one
 * self-contained page (no external URL) and its JSON API, refreshes a status
 * snapshot every two seconds into a bounded history, and guards every
 * request: the `Host` must be the console's own (DNS rebinding), and SQL or
 * Kafka reads need a same-origin request with the per-run token.
 *
 * @module
 */
import type { Config } from "../../core/env.ts";
import { UserError } from "../../core/errors.ts";
import { resolveIngestOptions } from "../../clickhouse/ingest.ts";
import { createKafka } from "../../kafka/client.ts";
import { s3Root } from "../../lake/keys.ts";
import type { StackPaths } from "../../stack/processes.ts";
import { gatherStatus } from "../status.ts";
import type { StatusReport } from "../status_report.ts";
import { type ApiContext, handleApi, isPrivileged, isRoute } from "./api.ts";
import { ClickHouseView } from "./clickhouse_api.ts";
import { checkHost, checkPrivileged, checkSameOrigin, hostWithPort, redact } from "./guard.ts";
import { History } from "./history.ts";
import { LakeSession } from "./lake_api.ts";
import { renderPage } from "./page.ts";

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  cfg: Config;
  paths: StackPaths;
  host: string;
  /** 0 picks a free port. */
  port: number;
  topic: string;
  dlqTopic: string;
  group: string;
  bucket: string;
  prefix: string;
  clickhousePrefix: string;
  /** The per-run token privileged requests must carry. */
  token: string;
  /** How often the status snapshot is refreshed [2000]. */
  pollMs?: number;
}

/** A running console. */
export interface RunningConsole {
  /** e.g. `http://127.0.0.1:8080` */
  url: string;
  port: number;
  /** Stops serving and polling and closes the DuckDB session. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function json(body: unknown, status: number, secrets: readonly string[]): Response {
  return new Response(redact(JSON.stringify(body), secrets), {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8" },
  });
}

/** Keeps the status snapshot fresh: one gather at a time, every `pollMs`. */
function startPolling(opts: ConsoleOptions, history: History) {
  const ch = resolveIngestOptions({
    brokers: opts.cfg.kafkaBrokers,
    prefix: opts.clickhousePrefix,
  });
  let latest: StatusReport | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      latest = await gatherStatus({
        cfg: opts.cfg,
        paths: opts.paths,
        topics: undefined,
        groups: [opts.group, ch.musicGroup, ch.easyGroup],
        dlqTopic: opts.dlqTopic,
        bucket: opts.bucket,
        prefix: opts.prefix,
        clickhousePrefix: ch.prefix,
      });
      history.add(latest);
    } catch (e) {
      console.error(`console: status failed: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
    }
    if (!stopped) timer = setTimeout(() => (running = tick()), opts.pollMs ?? 2000);
  };
  running = tick();
  return {
    latest: () => latest,
    musicGroup: ch.musicGroup,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Reads a JSON object body (privileged requests); anything else is a user mistake. */
async function readBody(req: Request): Promise<Record<string, unknown>> {
  if (req.method !== "POST") return {};
  const text = await req.text();
  if (text.length > 100_000) throw new UserError("request body too large");
  const v = text === "" ? {} : JSON.parse(text);
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new UserError("expected a JSON object");
  }
  return v as Record<string, unknown>;
}

/** The request handler: guards first, then the page or the API. */
function handler(
  opts: ConsoleOptions,
  ctx: ApiContext,
  bound: () => { host: string; port: number },
) {
  const secrets = [opts.cfg.s3.secretKey, opts.cfg.s3.accessKey, opts.cfg.clickhouse.password];
  return async (req: Request): Promise<Response> => {
    const b = bound();
    const bad = checkHost(req.headers, b);
    if (bad) return json({ error: bad.reason }, bad.status, secrets);
    const url = new URL(req.url);
    if (url.pathname === "/" && req.method === "GET") {
      const nonce = crypto.randomUUID().replaceAll("-", "");
      return new Response(await renderPage(nonce), {
        headers: {
          ...SECURITY_HEADERS,
          "content-type": "text/html; charset=utf-8",
          "content-security-policy":
            `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; ` +
            `connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        },
      });
    }
    if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
    if (!isRoute(url.pathname)) return json({ error: "not found" }, 404, secrets);
    const priv = isPrivileged(url.pathname);
    if (priv && req.method !== "POST") return json({ error: "use POST" }, 405, secrets);
    if (!priv && req.method !== "GET") return json({ error: "use GET" }, 405, secrets);
    const refused = priv
      ? checkPrivileged(req.headers, b, opts.token)
      : checkSameOrigin(req.headers, b);
    if (refused) return json({ error: refused.reason }, refused.status, secrets);
    let body: Record<string, unknown>;
    try {
      body = await readBody(req);
    } catch (e) {
      return json({ error: `bad request: ${(e as Error).message}` }, 400, secrets);
    }
    const a = await handleApi(ctx, url, body);
    return json(a.body, a.status, secrets);
  };
}

/**
 * Starts the console: binds, starts polling, returns where it listens.
 * A taken port is a UserError.
 *
 * @example
 * ```ts
 * const c = await startConsole({ ...opts, host: "127.0.0.1", port: 8080, token: newToken() });
 * console.log(c.url);
 * ```
 */
export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const history = new History();
  const poll = startPolling(opts, history);
  const lake = new LakeSession(opts.cfg, opts.bucket, opts.prefix);
  const ctx: ApiContext = {
    names: {
      topic: opts.topic,
      dlqTopic: opts.dlqTopic,
      group: opts.group,
      clickhouseGroup: poll.musicGroup,
      lake: s3Root(opts.bucket, opts.prefix),
      clickhousePrefix: opts.clickhousePrefix,
    },
    kafka: createKafka({ brokers: opts.cfg.kafkaBrokers, clientId: "music-console" }),
    lake,
    clickhouse: new ClickHouseView(opts.cfg, opts.clickhousePrefix),
    history,
    latest: poll.latest,
  };
  let port = opts.port;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: opts.host,
      port: opts.port,
      onListen: () => {},
      handler: handler(opts, ctx, () => ({ host: opts.host, port })),
    });
  } catch (e) {
    await poll.stop();
    if (e instanceof Deno.errors.AddrInUse) {
      throw new UserError(
        `port ${opts.port} on ${opts.host} is taken (Kafka UI of docker compose uses 8080); choose another with --port`,
      );
    }
    throw new UserError(
      `cannot listen on ${hostWithPort(opts.host, opts.port)}: ${(e as Error).message}`,
    );
  }
  port = server.addr.port;
  return {
    url: `http://${hostWithPort(opts.host, port)}`,
    port,
    close: async () => {
      await server.shutdown();
      await poll.stop();
      lake.close();
    },
  };
}
