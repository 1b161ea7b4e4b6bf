/**
 * A small client for ClickHouse's HTTP interface, and the mapping of its
 * failures (refused connection, wrong password, `Code: N` bodies) to one-line
 * user errors.
 *
 * One client for every ClickHouse from 21.6 on: the native stack's 26.x and
 * the compose file's 25.8.
 *
 * @module
 */
import type { ClickHouseConfig } from "../core/env.ts";
import { UserError } from "../core/errors.ts";

/** Options of {@link ClickHouseClient}. */
export interface ClickHouseClientOptions extends ClickHouseConfig {
  /** Bound for one request, connect included [30 000 ms]. */
  timeoutMs?: number;
}

/** Column of a query result, as ClickHouse's `FORMAT JSON` describes it. */
export interface ColumnMeta {
  name: string;
  type: string;
}

/** Rows of a query with their column names and types. */
export interface QueryResult<T = Record<string, unknown>> {
  meta: ColumnMeta[];
  data: T[];
}

/**
 * The server answered a query with an error (`Code: N` in its body). A user
 * error: its message is the server's reason, printed as one line.
 */
export class ClickHouseError extends UserError {
  override name = "ClickHouseError";
  /** ClickHouse error code (e.g. 60 unknown table), or undefined when none was given. */
  readonly code: number | undefined;
  constructor(message: string, code: number | undefined) {
    super(message);
    this.code = code;
  }
}

/** Extracts the error code and a one-line reason from a ClickHouse error body. */
export function parseServerError(body: string): { code: number | undefined; reason: string } {
  const code = /Code: (\d+)/.exec(body);
  const text = body.trim();
  // 18.16: "Code: 60, e.displayText() = DB::Exception: <reason>, e.what() = DB::Exception"
  // modern: "Code: 60. DB::Exception: <reason>. (UNKNOWN_TABLE) (version 24.3.1.1)"
  let reason = /DB::Exception: ([\s\S]*?)(?:, e\.what\(\) = |\s*\(version .*\)\s*$|$)/
    .exec(text)?.[1] ?? text;
  reason = reason.split("\n")[0]!.trim().replace(/\.$/, "");
  return { code: code ? Number(code[1]) : undefined, reason: reason || "no details" };
}

/** Error codes meaning the user or password is not accepted (all versions). */
const AUTH_CODES = new Set([192, 193, 194, 516]);

/** Turns a low-level fetch failure into a short phrase ("connection refused"). */
export function describeConnectError(e: unknown): string {
  const text = `${(e as Error)?.message ?? e} ${String((e as Error)?.cause ?? "")}`;
  if (/refused/i.test(text)) return "connection refused";
  if (/dns|lookup|resolve|name or service not known|no address/i.test(text)) {
    return "host not found";
  }
  if (/reset/i.test(text)) return "connection reset";
  if (/unreachable/i.test(text)) return "network unreachable";
  return ((e as Error)?.message ?? String(e)).split("\n")[0]!;
}

/**
 * A small ClickHouse HTTP client. One statement per request (as the HTTP
 * interface requires); credentials go in `X-ClickHouse-User/Key` headers,
 * which 18.16 and later accept.
 *
 * @example
 * ```ts
 * const client = new ClickHouseClient(loadConfig().clickhouse);
 * const { data } = await client.query<{ n: number }>("SELECT 1 AS n");
 * ```
 */
export class ClickHouseClient {
  readonly url: string;
  readonly user: string;
  readonly #password: string;
  readonly #timeoutMs: number;

  constructor(opts: ClickHouseClientOptions) {
    this.url = opts.url.replace(/\/+$/, "");
    this.user = opts.user;
    this.#password = opts.password;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  #timedOut(ms: number): UserError {
    return new UserError(`ClickHouse at ${this.url} did not answer within ${ms / 1000} s`);
  }

  /** Sends one statement; returns the body text. Throws UserError / ClickHouseError. */
  async #post(
    sql: string,
    params: Record<string, string> = {},
    timeoutMs = this.#timeoutMs,
  ): Promise<string> {
    const url = new URL(this.url + "/");
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        body: sql,
        headers: { "X-ClickHouse-User": this.user, "X-ClickHouse-Key": this.#password },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      if ((e as Error)?.name === "TimeoutError") throw this.#timedOut(timeoutMs);
      throw new UserError(
        `Cannot connect to ClickHouse at ${this.url}: ${describeConnectError(e)}`,
      );
    }
    let body: string;
    try {
      body = await res.text();
    } catch (e) {
      if ((e as Error)?.name === "TimeoutError") throw this.#timedOut(timeoutMs);
      throw new UserError(`Cannot read the answer of ClickHouse at ${this.url}: ${e}`);
    }
    if (res.ok) return body;
    throw this.#failure(res.status, body);
  }

  /** The error for a non-2xx answer: rejected credentials, not ClickHouse, or the server's reason. */
  #failure(status: number, body: string): UserError {
    const { code, reason } = parseServerError(body);
    if (status === 401 || status === 403 || (code !== undefined && AUTH_CODES.has(code))) {
      return new UserError(
        `ClickHouse at ${this.url} rejected user "${this.user}": wrong password or no such user`,
      );
    }
    if (code === undefined) {
      // Not a ClickHouse answer at all (wrong port, proxy): say what came back.
      return new UserError(
        `${this.url} did not answer like ClickHouse: HTTP ${status} ${
          body.trim().split("\n")[0]!.slice(0, 120)
        }`,
      );
    }
    return new ClickHouseError(`ClickHouse error ${code}: ${reason}`, code);
  }

  /**
   * Runs a statement that returns nothing of interest (DDL, INSERT); `timeoutMs`
   * overrides the client's for a statement known to take long.
   */
  async exec(sql: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.#post(sql, {}, opts.timeoutMs);
  }

  /**
   * Runs a query and returns its rows as objects. 64-bit integers come back as
   * numbers (exact up to 2^53, enough for counts and epoch milliseconds).
   */
  async query<T = Record<string, unknown>>(sql: string): Promise<QueryResult<T>> {
    const body = await this.#post(sql, {
      default_format: "JSON",
      output_format_json_quote_64bit_integers: "0",
    });
    const parsed = JSON.parse(body) as { meta?: ColumnMeta[]; data?: T[] };
    return { meta: parsed.meta ?? [], data: parsed.data ?? [] };
  }

  /** The server's version string, e.g. `18.16.1`. */
  async version(): Promise<string> {
    return (await this.#post("SELECT version()")).trim();
  }
}
