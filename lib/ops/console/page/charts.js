// deno-lint-ignore-file no-unused-vars -- the page's scripts share their functions as globals
// The console's own SVG drawings: the pipeline diagram and the lag charts.
// Built with DOM calls (text via textContent), never from HTML strings.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children (strings become text nodes). */
function svgEl(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const c of children) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

function fmt(n) {
  return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US");
}

function fmtRate(r) {
  if (r === null || r === undefined) return "– /s";
  return (r >= 100 ? Math.round(r).toLocaleString("en-US") : r.toFixed(1)) + " /s";
}

function fmtBytes(b) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return (i === 0 ? String(b) : b.toFixed(1)) + " " + units[i];
}

/** `s` cut to about `px` pixels of text at `size` px (a trailing … marks the cut). */
function fit(s, px, size) {
  const max = Math.floor(px / (size * 0.6));
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

/** One box of the diagram: a title and up to three lines, coloured by its service's health. */
function box(x, y, w, title, lines, up, id) {
  const g = svgEl("g", { "data-box": id });
  g.append(svgEl("rect", {
    x,
    y,
    width: w,
    height: 92,
    rx: 8,
    fill: up ? "#ffffff" : "#fff1f0",
    stroke: up ? "#2da44e" : "#cf222e",
    "stroke-width": 2,
  }));
  g.append(
    svgEl(
      "text",
      { x: x + 10, y: y + 20, "font-weight": 600, "font-size": 13 },
      fit(title, w - 16, 13),
    ),
  );
  lines.forEach((l, i) =>
    g.append(
      svgEl(
        "text",
        { x: x + 10, y: y + 40 + i * 17, "font-size": 12, fill: "#374151" },
        fit(l, w - 16, 12),
      ),
    )
  );
  return g;
}

function arrow(x1, y1, x2, y2, label) {
  const g = svgEl("g", {});
  g.append(svgEl("line", {
    x1,
    y1,
    x2,
    y2,
    stroke: "#6b7280",
    "stroke-width": 2,
    "marker-end": "url(#arrowhead)",
  }));
  if (label) {
    g.append(svgEl("text", {
      x: (x1 + x2) / 2,
      y: (y1 + y2) / 2 - 6,
      "text-anchor": "middle",
      "font-size": 11,
      fill: "#374151",
    }, label));
  }
  return g;
}

/**
 * The pipeline: producer → topic → sink → lake, topic → ClickHouse, sink → dead letters.
 * `p` holds the figures the overview computed.
 */
function pipelineDiagram(p) {
  const s = svgEl("svg", {
    viewBox: "0 0 1040 250",
    width: 1040,
    height: 250,
    role: "img",
    "aria-label": "Pipeline",
    "font-family": "system-ui, sans-serif",
  });
  const defs = svgEl("defs", {});
  const marker = svgEl("marker", {
    id: "arrowhead",
    viewBox: "0 0 10 10",
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto-start-reverse",
  });
  marker.append(svgEl("path", { d: "M0,0 L10,5 L0,10 z", fill: "#6b7280" }));
  defs.append(marker);
  s.append(defs);
  s.append(
    box(
      10,
      20,
      170,
      "producer",
      ["deno task produce", fmtRate(p.produceRate)],
      p.kafkaUp,
      "producer",
    ),
  );
  s.append(box(
    250,
    20,
    220,
    "topic " + p.topic,
    [
      fmt(p.messages) + " messages",
      p.partitions + " partitions",
    ],
    p.kafkaUp && p.topicExists,
    "topic",
  ));
  s.append(box(
    540,
    20,
    210,
    "sink · " + p.group,
    [
      "lag " + fmt(p.sinkLag),
      fmtRate(p.sinkRate),
    ],
    p.kafkaUp,
    "sink",
  ));
  s.append(box(
    820,
    20,
    210,
    "lake (S3)",
    [
      fmt(p.lakeObjects) + " objects",
      fmtBytes(p.lakeBytes || 0),
      p.lake,
    ],
    p.s3Up,
    "lake",
  ));
  s.append(box(
    540,
    145,
    210,
    "ClickHouse · " + p.chGroup,
    [
      "lag " + fmt(p.chLag),
      fmt(p.chRows) + " rows",
      fmtRate(p.chRate),
    ],
    p.chUp,
    "clickhouse",
  ));
  s.append(
    box(820, 145, 210, "dead letters", [p.dlqTopic, fmt(p.dlq) + " messages"], p.kafkaUp, "dlq"),
  );
  s.append(arrow(180, 66, 248, 66, ""));
  s.append(arrow(470, 66, 538, 66, ""));
  s.append(arrow(750, 66, 818, 66, ""));
  s.append(arrow(400, 112, 538, 190, ""));
  s.append(arrow(750, 100, 818, 180, ""));
  return s;
}

/** A small line chart of a lag history: samples [{t, v}], time on x, lag on y. */
function lagChart(samples, width, height) {
  const w = width || 360;
  const h = height || 90;
  const m = { l: 52, r: 8, t: 8, b: 20 };
  const s = svgEl("svg", {
    viewBox: "0 0 " + w + " " + h,
    width: w,
    height: h,
    role: "img",
    "aria-label": "Lag over time",
    "font-family": "system-ui, sans-serif",
    "font-size": 10,
  });
  if (!samples || samples.length < 2) {
    s.append(
      svgEl(
        "text",
        { x: w / 2, y: h / 2, "text-anchor": "middle", fill: "#6b7280" },
        "collecting…",
      ),
    );
    return s;
  }
  const t1 = samples[samples.length - 1].t;
  const t0 = Math.min(samples[0].t, t1 - 60000);
  const maxV = Math.max(1, ...samples.map((x) => x.v));
  const x = (t) => m.l + ((t - t0) / (t1 - t0)) * (w - m.l - m.r);
  const y = (v) => m.t + (1 - v / maxV) * (h - m.t - m.b);
  s.append(svgEl("line", { x1: m.l, x2: w - m.r, y1: y(0), y2: y(0), stroke: "#9ca3af" }));
  s.append(svgEl("line", { x1: m.l, x2: m.l, y1: m.t, y2: y(0), stroke: "#9ca3af" }));
  s.append(
    svgEl("text", { x: m.l - 4, y: m.t + 8, "text-anchor": "end", fill: "#374151" }, fmt(maxV)),
  );
  s.append(svgEl("text", { x: m.l - 4, y: y(0), "text-anchor": "end", fill: "#374151" }, "0"));
  const mins = Math.round((t1 - t0) / 60000);
  s.append(svgEl("text", { x: m.l, y: h - 4, fill: "#374151" }, "−" + mins + " min"));
  s.append(svgEl("text", { x: w - m.r, y: h - 4, "text-anchor": "end", fill: "#374151" }, "now"));
  const pts = samples.map((p) => x(p.t).toFixed(1) + "," + y(p.v).toFixed(1)).join(" ");
  s.append(svgEl("polyline", { points: pts, fill: "none", stroke: "#4e79a7", "stroke-width": 2 }));
  return s;
}
