/// <reference lib="deno.worker" />
self.onmessage = (e: MessageEvent) => {
  if (e.data === "boom") throw new Error("boom");
  self.postMessage("ok:" + e.data);
};
