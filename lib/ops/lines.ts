/**
 * Synchronous line writers for stdout and stderr, for output that must stay
 * in order with other synchronous writers (console.log, Progress on stderr);
 * core's writeStdout is async and stdout-only.
 *
 * @module
 */

/**
 * A function that writes one line to `stream`; a reader that went away
 * (`| head`) is not an error.
 *
 * @example
 * ```ts
 * const out = lineWriter(Deno.stdout);
 * out("hello");
 * ```
 */
export function lineWriter(stream: typeof Deno.stdout): (line: string) => void {
  const encoder = new TextEncoder();
  return (line) => {
    try {
      stream.writeSync(encoder.encode(line + "\n"));
    } catch (e) {
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    }
  };
}
