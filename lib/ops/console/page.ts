/**
 * The console's one page: HTML with its stylesheet and scripts inlined (no
 * external URL, no CDN). The scripts run under a per-response CSP nonce.
 *
 * @module
 */

const ASSETS = ["app.css", "app.js", "views_kafka.js", "views_data.js", "charts.js"] as const;
let cache: Record<string, string> | undefined;

async function assets(): Promise<Record<string, string>> {
  if (cache) return cache;
  const out: Record<string, string> = {};
  for (const name of ASSETS) {
    out[name] = await Deno.readTextFile(new URL(`./page/${name}`, import.meta.url));
  }
  return (cache = out);
}

/** The page, its inline scripts marked with `nonce` (the CSP allows only those). */
export async function renderPage(nonce: string): Promise<string> {
  const a = await assets();
  const script = (name: string) => `<script nonce="${nonce}">\n${a[name]}\n</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Pipeline console</title>
<style>${a["app.css"]}</style>
</head>
<body>
<header>
  <h1>Pipeline console</h1>
  <nav id="nav"></nav>
  <span id="token-state" class="muted"></span>
</header>
<main id="main"></main>
<footer class="muted" id="footer"></footer>
${script("charts.js")}
${script("app.js")}
${script("views_kafka.js")}
${script("views_data.js")}
</body>
</html>
`;
}
