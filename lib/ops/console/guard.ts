/**
 * The console's request checks, pure so they can be tested without a server:
 * the `Host` header must name the console itself (a DNS-rebinding page sends
 * its own host name), and requests that run SQL or touch Kafka must come from
 * the console's own page and carry the per-run token printed at start.
 *
 * @module
 */

/** Header the page sends the per-run token in. */
export const TOKEN_HEADER = "x-console-token";

/** Where the console listens. */
export interface Bound {
  host: string;
  port: number;
}

/** A refusal: the HTTP status and one line saying why. */
export interface Refusal {
  status: number;
  reason: string;
}

/** `host:port` as a browser writes it in `Host` (IPv6 in brackets). */
export function hostWithPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The `Host` values accepted: the bound address with its port, and
 * `localhost:port` when bound to loopback. Without a port they are accepted
 * only for port 80, as a browser leaves it out there.
 */
export function allowedHosts(b: Bound): Set<string> {
  const names = [b.host.includes(":") ? `[${b.host}]` : b.host];
  if (isLoopback(b.host)) names.push("localhost");
  const out = new Set(names.map((n) => `${n}:${b.port}`.toLowerCase()));
  if (b.port === 80) { for (const n of names) out.add(n.toLowerCase()); }
  return out;
}

/** Whether `host` is a loopback address (or `localhost`). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses a request whose `Host` is not the console's own (DNS rebinding); undefined when fine. */
export function checkHost(headers: Headers, b: Bound): Refusal | undefined {
  const host = (headers.get("host") ?? "").toLowerCase();
  if (allowedHosts(b).has(host)) return undefined;
  return {
    status: 421,
    reason: `Host "${host}" is not this console's address (${hostWithPort(b.host, b.port)})`,
  };
}

/**
 * Refuses a request that comes from another site: a browser marks it with
 * `Sec-Fetch-Site: cross-site`/`same-site`, or with an `Origin` that is not ours.
 */
export function checkSameOrigin(headers: Headers, b: Bound): Refusal | undefined {
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return { status: 403, reason: `cross-site request refused (Sec-Fetch-Site: ${site})` };
  }
  const origin = headers.get("origin");
  if (origin !== null) {
    let host = "";
    try {
      const u = new URL(origin);
      host = u.protocol === "http:" ? u.host.toLowerCase() : "";
    } catch { /* "null" or garbage: refused below */ }
    if (!allowedHosts(b).has(host)) {
      return { status: 403, reason: `cross-site request refused (Origin: ${origin})` };
    }
  }
  return undefined;
}

/** Compares two strings in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Checks a request that runs SQL or reads Kafka through a consumer: same
 * origin, a JSON body (a plain HTML form cannot send one without a
 * preflight), and the per-run token in {@link TOKEN_HEADER}.
 */
export function checkPrivileged(headers: Headers, b: Bound, token: string): Refusal | undefined {
  const cross = checkSameOrigin(headers, b);
  if (cross) return cross;
  if (!(headers.get("content-type") ?? "").startsWith("application/json")) {
    return { status: 415, reason: "expected a JSON body (Content-Type: application/json)" };
  }
  const given = headers.get(TOKEN_HEADER);
  if (given === null || !sameSecret(given, token)) {
    return {
      status: 403,
      reason: "missing or wrong console token: open the URL `deno task ui` printed (?token=…)",
    };
  }
  return undefined;
}

/** A new per-run token: 128 random bits, URL-safe. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Replaces every whole-word occurrence of a secret value in `text` with
 * `[redacted]` — the last line of defence for error messages and query
 * results that might quote a setting. Whole words, so a password such as
 * `click` does not mangle "ClickHouse".
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s === "") continue;
    const re = new RegExp(
      `(?<![A-Za-z0-9_])${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`,
      "g",
    );
    out = out.replace(re, "[redacted]");
  }
  return out;
}
