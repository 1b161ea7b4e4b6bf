/**
 * The console's JSON API: one handler per page, reading the latest status
 * snapshot, Kafka (through {@link browse}), the lake and ClickHouse. Requests
 * that read Kafka through a consumer or run SQL are privileged (same origin
 * and the per-run token, checked by the server before they get here).
 *
 * @module
 */
import type { Kafka } from "kafkajs";
import { UserError } from "../../core/errors.ts";
import { REPORTS } from "../../lake/reports.ts";
import type { StatusReport } from "../status_report.ts";
import type { ClickHouseView } from "./clickhouse_api.ts";
import { History, type Rates } from "./history.ts";
import { browse } from "./kafka_browse.ts";
import type { LakeSession } from "./lake_api.ts";

/** What the pipeline is, as the overview draws it. */
export interface PipelineNames {
  topic: string;
  dlqTopic: string;
  group: string;
  clickhouseGroup: string;
  lake: string;
  clickhousePrefix: string;
}

/** Everything the handlers read. */
export interface ApiContext {
  names: PipelineNames;
  kafka: Kafka;
  lake: LakeSession;
  clickhouse: ClickHouseView;
  history: History;
  /** The latest status snapshot, undefined before the first one. */
  latest: () => StatusReport | undefined;
}

/** A handler's answer: a JSON body and its status. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

type Handler = (ctx: ApiContext, url: URL, body: Record<string, unknown>) => Promise<unknown>;

/** Routes that only read; no token needed. */
const READ: Record<string, Handler> = {
  "/api/overview": (ctx) => Promise.resolve(overview(ctx)),
  "/api/groups": (ctx) => Promise.resolve(groups(ctx)),
  "/api/lake/objects": async (ctx, url) => ({
    root: ctx.lake.root,
    objects: await ctx.lake.objects(url.searchParams.get("date") ?? undefined),
  }),
  "/api/lake/object": (ctx, url) => ctx.lake.object(required(url, "key")),
  "/api/reports": () =>
    Promise.resolve(
      REPORTS.map((r) => ({ name: r.name, title: r.title, description: r.description })),
    ),
  "/api/report": (ctx, url) => ctx.lake.report(required(url, "name")),
  "/api/clickhouse/queries": (ctx) => ctx.clickhouse.queries(),
  "/api/clickhouse/query": (ctx, url) => ctx.clickhouse.run(required(url, "name")),
  "/api/clickhouse/errors": (ctx) => ctx.clickhouse.errors(),
};

/** Routes that consume from Kafka or run SQL: POST with the token. */
const PRIVILEGED: Record<string, Handler> = {
  "/api/messages": (ctx, _url, b) =>
    browse(ctx.kafka, {
      topic: str(b.topic, "topic"),
      partition: int(b.partition, "partition"),
      offset: b.offset === undefined || b.offset === null || b.offset === ""
        ? undefined
        : int(b.offset, "offset"),
      limit: b.limit === undefined ? 50 : int(b.limit, "limit"),
    }),
  "/api/sql": (ctx, _url, b) => ctx.lake.sql(str(b.sql, "sql")),
};

/** Whether `path` is a privileged route (needs POST, same origin and the token). */
export function isPrivileged(path: string): boolean {
  return path in PRIVILEGED;
}

/** Whether `path` is an API route at all. */
export function isRoute(path: string): boolean {
  return path in READ || path in PRIVILEGED;
}

/** Runs the handler of `url`; user mistakes and unavailable services give 4xx/503 with a line. */
export async function handleApi(
  ctx: ApiContext,
  url: URL,
  body: Record<string, unknown>,
): Promise<ApiAnswer> {
  const h = READ[url.pathname] ?? PRIVILEGED[url.pathname];
  if (!h) return { status: 404, body: { error: `no such API: ${url.pathname}` } };
  try {
    return { status: 200, body: await h(ctx, url, body) };
  } catch (e) {
    const line = String((e as Error)?.message ?? e).split("\n").slice(0, 3).join("\n");
    return { status: e instanceof UserError ? 400 : 503, body: { error: line } };
  }
}

function required(url: URL, name: string): string {
  const v = url.searchParams.get(name);
  if (!v) throw new UserError(`missing query parameter "${name}"`);
  return v;
}

function str(v: unknown, name: string): string {
  if (typeof v !== "string" || v === "") {
    throw new UserError(`"${name}" must be a non-empty string`);
  }
  return v;
}

function int(v: unknown, name: string): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new UserError(`"${name}" must be a whole number ≥ 0`);
  }
  return n;
}

/** The overview: the latest snapshot, the live rates and the pipeline's names. */
export function overview(ctx: ApiContext): {
  names: PipelineNames;
  report: StatusReport | null;
  rates: Rates;
} {
  return { names: ctx.names, report: ctx.latest() ?? null, rates: ctx.history.rates() };
}

/** Consumer groups with their lag now and over the last minutes. */
export function groups(ctx: ApiContext) {
  const r = ctx.latest();
  if (!r) return { available: false, reason: "no status yet", groups: [] };
  if (!r.kafka.available) return { available: false, reason: r.kafka.reason, groups: [] };
  const rates = ctx.history.rates();
  return {
    available: true,
    groups: r.kafka.groups.map((g) => ({
      ...g,
      topics: g.topics.map((t) => ({
        ...t,
        rate: rates.groups[`${g.group} ${t.topic}`] ?? null,
        history: ctx.history.lag(g.group, t.topic),
      })),
    })),
  };
}
