// deno-lint-ignore-file no-unused-vars -- the page's scripts share their functions as globals
// The console's core: DOM helpers, the API client (token for privileged calls),
// the router between pages, and the live overview.
"use strict";

/** An HTML element with attributes, event handlers (onX) and children; text is never parsed. */
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(
      typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c,
    );
  }
  return e;
}

/** Inserts an SVG chart the server drew (lib/lake/charts.ts escapes every text it holds). */
function serverSvg(markup) {
  // charts.ts writes HTML-embedded SVG (no xmlns); as XML it needs the namespace.
  const xml = markup.includes("xmlns=")
    ? markup
    : markup.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ');
  const doc = new DOMParser().parseFromString(xml, "image/svg+xml");
  return document.importNode(doc.documentElement, true);
}

// The per-run token: from ?token= once, then kept for this tab only and removed from the URL.
const TOKEN_KEY = "console-token";
(function takeToken() {
  const u = new URL(location.href);
  const t = u.searchParams.get("token");
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    u.searchParams.delete("token");
    history.replaceState(null, "", u.pathname + u.search + u.hash);
  }
})();

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

async function getJson(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || "HTTP " + r.status);
  return body;
}

/** A privileged call (SQL, reading Kafka): POST, JSON, the token in its header. */
async function postJson(path, payload) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-console-token": token() },
    body: JSON.stringify(payload),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || "HTTP " + r.status);
  return body;
}

/** A form asking for the token when the page was opened without it. */
function tokenForm(onDone) {
  const input = h("input", {
    type: "password",
    size: 36,
    placeholder: "token printed by deno task ui",
  });
  return h(
    "div",
    { class: "panel" },
    "This needs the token `deno task ui` printed at start: ",
    input,
    " ",
    h("button", {
      onclick: () => {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        showTokenState();
        onDone();
      },
    }, "Use token"),
  );
}

function showTokenState() {
  document.getElementById("token-state").textContent = token()
    ? "token set: SQL and message browsing enabled"
    : "no token: open the URL deno task ui printed to browse messages or run SQL";
}

function errorBox(e) {
  return h("p", { class: "error" }, String(e && e.message ? e.message : e));
}

/** A table from column names and rows of cells; `opts.onRow(row, tr)` makes rows clickable. */
function table(columns, rows, opts) {
  const o = opts || {};
  const num = (v) => typeof v === "number";
  return h(
    "table",
    o.attrs || {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
    h(
      "tbody",
      {},
      rows.map((r, i) => {
        const tr = h(
          "tr",
          Object.assign({ class: o.onRow ? "click" : "" }, o.rowAttrs ? o.rowAttrs(r, i) : {}),
          r.map((v) => h("td", { class: num(v) ? "num" : "" }, cellText(v))),
        );
        if (o.onRow) tr.addEventListener("click", () => o.onRow(r, tr, i));
        return tr;
      }),
    ),
  );
}

function cellText(v) {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : String(v);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// ---- router -------------------------------------------------------------------------

const PAGES = {};
const NAV = [
  ["overview", "Overview"],
  ["topics", "Topics"],
  ["groups", "Consumer groups"],
  ["dlq", "Dead letters"],
  ["lake", "Lake"],
  ["analytics", "Analytics"],
  ["clickhouse", "ClickHouse"],
];
let current = null;
let live = null; // the latest /api/overview answer

function route() {
  const name = (location.hash.slice(1).split("/")[0]) || "overview";
  const page = PAGES[name] ? name : "overview";
  document.getElementById("nav").replaceChildren(
    ...NAV.map(([id, label]) =>
      h("a", { href: "#" + id, class: id === page ? "active" : "" }, label)
    ),
  );
  current = { name: page, root: h("div", { id: "page-" + page }) };
  document.getElementById("main").replaceChildren(current.root);
  PAGES[page].open(current.root);
  if (live && PAGES[page].refresh) PAGES[page].refresh(current.root, live);
}

/** Polls the overview every 2 s; the page on screen redraws its live parts. */
async function poll() {
  try {
    live = await getJson("/api/overview");
    document.getElementById("footer").textContent = live.report
      ? "updated " + live.report.generatedAt.replace("T", " ").slice(0, 19) + " UTC · every 2 s"
      : "waiting for the first status…";
    if (current && PAGES[current.name].refresh) PAGES[current.name].refresh(current.root, live);
  } catch (e) {
    document.getElementById("footer").textContent = "console unreachable: " + e.message;
  }
  setTimeout(poll, 2000);
}

// ---- overview -----------------------------------------------------------------------

function topicOf(report, name) {
  return report.kafka.available ? report.kafka.topics.find((t) => t.topic === name) : undefined;
}

function groupLag(report, group, topic) {
  if (!report.kafka.available) return null;
  const g = report.kafka.groups.find((x) => x.group === group);
  const t = g && g.topics.find((x) => x.topic === topic);
  return t ? t.lag : null;
}

function pipelineFigures(o) {
  const r = o.report;
  const n = o.names;
  const svc = (name) => r.services.find((s) => s.name === name);
  const topic = topicOf(r, n.topic);
  const chTable = r.clickhouse.available
    ? r.clickhouse.tables.find((t) => t.table === n.clickhousePrefix + "music_consumer_phys")
    : undefined;
  return {
    topic: n.topic,
    group: n.group,
    chGroup: n.clickhouseGroup,
    dlqTopic: n.dlqTopic,
    lake: n.lake,
    // One node up is enough: a cluster answers while any node is (kafka, or kafka-1…).
    kafkaUp: r.services.some((s) => /^kafka(-\d+)?$/.test(s.name) && s.up),
    s3Up: !!(svc("s3") || {}).up,
    chUp: !!(svc("clickhouse") || {}).up,
    topicExists: !!(topic && topic.exists),
    messages: topic ? topic.messages : null,
    partitions: topic ? topic.partitions.length : 0,
    produceRate: o.rates.topics[n.topic],
    sinkLag: groupLag(r, n.group, n.topic),
    sinkRate: o.rates.groups[n.group + " " + n.topic],
    chLag: groupLag(r, n.clickhouseGroup, n.topic),
    chRows: chTable ? chTable.rows : null,
    chRate: chTable ? o.rates.tables[chTable.table] : null,
    dlq: r.kafka.available ? r.kafka.dlq.messages : null,
    lakeObjects: r.lake.available ? r.lake.objects : null,
    lakeBytes: r.lake.available ? r.lake.bytes : 0,
  };
}

PAGES.overview = {
  open(root) {
    root.append(h("p", { class: "muted" }, "Loading the pipeline's status…"));
  },
  refresh(root, o) {
    const r = o.report;
    if (!r) return;
    const cards = r.services.map((s) =>
      h(
        "div",
        { class: "card", "data-service": s.name },
        h("b", {}, h("span", { class: "dot " + (s.up ? "up" : "down") }), s.name),
        h(
          "span",
          {},
          (s.up ? "up · " : "DOWN · ") + s.endpoint + (s.detail ? " · " + s.detail : ""),
        ),
      )
    );
    const p = pipelineFigures(o);
    const kpis = [
      ["dead letters", fmt(p.dlq)],
      ["lake objects", fmt(p.lakeObjects)],
      ["lake bytes", fmtBytes(p.lakeBytes)],
      [
        "ClickHouse rows",
        r.clickhouse.available
          ? fmt(r.clickhouse.tables.reduce((s, t) => s + (t.rows || 0), 0))
          : "unavailable",
      ],
    ].map(([k, v]) => h("div", { class: "card", "data-kpi": k }, h("b", {}, v), h("span", {}, k)));
    const topics = r.kafka.available
      ? table(
        ["topic", "partitions", "messages", "rate"],
        r.kafka.topics.filter((t) => t.exists).map((
          t,
        ) => [t.topic, t.partitions.length, t.messages, fmtRate(o.rates.topics[t.topic])]),
        {
          rowAttrs: (row) => ({ "data-topic": row[0] }),
          onRow: (row) => {
            location.hash = "topics/" + encodeURIComponent(row[0]);
          },
        },
      )
      : h("p", { class: "error" }, "Kafka unavailable: " + r.kafka.reason);
    root.replaceChildren(
      h("h2", {}, "Services"),
      h("div", { class: "cards" }, cards),
      h("h2", {}, "Pipeline"),
      h("div", { class: "pipeline panel" }, pipelineDiagram(p)),
      h("div", { class: "cards" }, kpis),
      h("h2", {}, "Topics"),
      topics,
    );
  },
};

addEventListener("hashchange", () => {
  if (!current || current.name !== (location.hash.slice(1).split("/")[0] || "overview")) route();
  else if (PAGES[current.name].hash) PAGES[current.name].hash(current.root);
});
addEventListener("DOMContentLoaded", () => {
  showTokenState();
  route();
  poll();
});
