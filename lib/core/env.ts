/**
 * Typed settings from the environment (`.env` is loaded by `deno --env-file`;
 * real environment variables win). Every variable the project reads is read
 * here, once, and a bad value fails with the variable's name and what was
 * expected.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { checkBucketName, parseHostPort, parseHttpUrl } from "./flags.ts";

/** Connection settings shared by every task. */
export interface Config {
  /** Kafka bootstrap servers as `host:port`. */
  kafkaBrokers: string[];
  /** Kafka nodes the native stack runs (`KAFKA_NODES`, 1 to {@link MAX_KAFKA_NODES}). */
  kafkaNodes: number;
  s3: S3Config;
  clickhouse: ClickHouseConfig;
}

/** Where the S3-compatible server is and how to sign requests. */
export interface S3Config {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
}

/** ClickHouse HTTP interface. */
export interface ClickHouseConfig {
  url: string;
  user: string;
  password: string;
}

/** Defaults, as in `.env.example` (and the seed project). */
export const DEFAULTS = {
  KAFKA_BROKERS: "127.0.0.1:9092",
  KAFKA_NODES: "1",
  S3_ENDPOINT: "http://127.0.0.1:9000",
  S3_REGION: "us-east-1",
  S3_BUCKET: "prod-python",
  ACCESS_KEY: "minioadmin",
  SECRET_KEY: "minioadmin",
  CLICKHOUSE_URL: "http://127.0.0.1:8123",
  CLICKHOUSE_USER: "click",
  CLICKHOUSE_PASSWORD: "click",
} as const;

/** Names of the variables this project reads. */
export type EnvName = keyof typeof DEFAULTS;

/** Reads one variable (injected in tests). */
export type Env = (name: string) => string | undefined;

const denoEnv: Env = (name) => Deno.env.get(name);

/** Reads a non-empty string variable, or its default. */
export function envString(name: EnvName, env: Env = denoEnv): string {
  const raw = env(name);
  if (raw === undefined) return DEFAULTS[name];
  const value = raw.trim();
  if (value === "") {
    throw new ConfigError(`${name} is set but empty; expected a value such as "${DEFAULTS[name]}"`);
  }
  return value;
}

/** Most Kafka nodes the native stack runs (`KAFKA_NODES`). */
export const MAX_KAFKA_NODES = 5;

/**
 * Reads `KAFKA_NODES`: how many KRaft nodes the native stack runs, a whole
 * number from 1 to {@link MAX_KAFKA_NODES} [1]. Only the stack acts on it, so a
 * task whose permissions do not include it (producer, sink…) reads the default
 * instead of failing. Throws a ConfigError naming the variable on a bad value.
 */
export function kafkaNodeCount(env: Env = denoEnv): number {
  let raw: string | undefined;
  try {
    raw = env("KAFKA_NODES");
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return 1;
    throw e;
  }
  const value = raw?.trim() ?? DEFAULTS.KAFKA_NODES;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_KAFKA_NODES) {
    throw new ConfigError(
      `KAFKA_NODES has "${raw}"; expected a number of Kafka nodes from 1 to ${MAX_KAFKA_NODES} (default 1)`,
    );
  }
  return n;
}

/** Loads and validates all settings. Throws ConfigError on the first bad value. */
export function loadConfig(env: Env = denoEnv): Config {
  const brokers = envString("KAFKA_BROKERS", env).split(",").map((s) => s.trim()).filter(Boolean);
  for (const b of brokers) parseHostPort(b, "KAFKA_BROKERS");
  const s3Endpoint = envString("S3_ENDPOINT", env);
  parseHttpUrl(s3Endpoint, "S3_ENDPOINT");
  const chUrl = envString("CLICKHOUSE_URL", env);
  parseHttpUrl(chUrl, "CLICKHOUSE_URL");
  return {
    kafkaBrokers: brokers,
    kafkaNodes: kafkaNodeCount(env),
    s3: {
      endpoint: s3Endpoint.replace(/\/+$/, ""),
      region: envString("S3_REGION", env),
      bucket: checkBucketName(envString("S3_BUCKET", env), "S3_BUCKET"),
      accessKey: envString("ACCESS_KEY", env),
      secretKey: envString("SECRET_KEY", env),
    },
    clickhouse: {
      url: chUrl.replace(/\/+$/, ""),
      user: envString("CLICKHOUSE_USER", env),
      password: envString("CLICKHOUSE_PASSWORD", env),
    },
  };
}

/**
 * Per-user cache directory of this project: `STACK_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/music-pipeline`, else `~/.cache/music-pipeline`
 * (`%LOCALAPPDATA%\\music-pipeline` on Windows).
 */
export function cacheDir(env: Env = denoEnv): string {
  const explicit = env("STACK_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/music-pipeline`;
  // Only read on Windows: elsewhere tasks are not allowed to read it.
  const local = Deno.build.os === "windows" ? env("LOCALAPPDATA") : undefined;
  if (local) return `${local}\\music-pipeline`;
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) throw new ConfigError("Cannot find a cache directory: set HOME or STACK_CACHE_DIR");
  return `${home}/.cache/music-pipeline`;
}

/** Where the native stack keeps its state: `STACK_STATE_DIR`, when set. */
export function stateDirOverride(env: Env = denoEnv): string | undefined {
  return env("STACK_STATE_DIR") || undefined;
}

/** The raw `STACK` choice (native, docker, external); validated by the harness. */
export function stackChoice(env: Env = denoEnv): string | undefined {
  return env("STACK");
}

/** `KAFKAJS_DEBUG=1` prints kafkajs's own log lines; false without env permission. */
export function kafkajsDebug(env: Env = denoEnv): boolean {
  try {
    return env("KAFKAJS_DEBUG") === "1";
  } catch {
    return false;
  }
}

/** The directory the user ran `deno task` from (`INIT_CWD`), for relative paths. */
export function userCwd(env: Env = denoEnv): string {
  return env("INIT_CWD") ?? Deno.cwd();
}
