export * from "./core/env.ts";
export * from "./core/flags.ts";
export { ConfigError } from "./core/errors.ts";
