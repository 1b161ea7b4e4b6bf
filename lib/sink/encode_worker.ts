/**
 * The worker side of {@link WorkerEncoders}: encodes the batches it is sent
 * and sends the objects back (their bytes transferred, not copied).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { encodeBatch } from "./encode.ts";
import type { EncodeJob, EncodeReply } from "./encoders.ts";

self.onmessage = (e: MessageEvent<EncodeJob>) => {
  const { id, batch, settings } = e.data;
  let reply: EncodeReply;
  try {
    reply = { id, ok: true, result: encodeBatch(batch, settings) };
  } catch (err) {
    reply = { id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const transfer = reply.ok ? reply.result.objects.map((o) => o.body.buffer as ArrayBuffer) : [];
  self.postMessage(reply, { transfer });
};
