import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import type { QueryResult } from "./duckdb.ts";
import {
  barChart,
  escapeHtml,
  formatCount,
  minuteSeries,
  niceStep,
  parseUtc,
  perMinuteChart,
} from "./charts.ts";
import { renderHtml } from "./html.ts";

const perMinute: QueryResult = {
  columns: ["minute", "track_playback", "pause_track", "resume_track", "total"],
  types: ["TIMESTAMP", "BIGINT", "BIGINT", "BIGINT", "BIGINT"],
  rows: [
    ["2024-05-31 23:58:00", 10, 3, 1, 14],
    ["2024-06-01 00:01:00", 12, 4, 2, 18],
  ],
};
const countries: QueryResult = {
  columns: ["country", "events"],
  types: ["VARCHAR", "BIGINT"],
  rows: [["<Côte d'Ivoire>", 40], ["India", 25]],
};
const tracks: QueryResult = {
  columns: ["track_id", "playbacks"],
  types: ["VARCHAR", "BIGINT"],
  rows: [["3729e27a-d80a-40ec-abf3-9b3b7dddc264", 9]],
};

Deno.test("helpers: niceStep, formatCount, escapeHtml, parseUtc", () => {
  assertEquals([niceStep(10), niceStep(73), niceStep(1234), niceStep(0)], [2, 20, 500, 1]);
  assertEquals(formatCount(1234567), "1,234,567");
  assertEquals(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  assertEquals(parseUtc("2024-06-01 00:01:00"), Date.UTC(2024, 5, 1, 0, 1));
});

Deno.test("minuteSeries: empty minutes are zero; long spans averaged per minute", () => {
  const s = minuteSeries(perMinute);
  assertEquals(s.binMinutes, 1);
  assertEquals(s.points.map((p) => p.v[0]), [10, 0, 0, 12]);
  const long: QueryResult = {
    ...perMinute,
    rows: [["2024-01-01 00:00:00", 480, 0, 0, 480], ["2024-01-01 07:59:00", 2, 0, 0, 2]],
  };
  const l = minuteSeries(long);
  assertEquals(l.binMinutes, 2); // 480 minutes → 240 bins
  assertEquals(l.points.length, 240);
  assertEquals([l.points[0]!.v[0], l.points.at(-1)!.v[0]], [240, 1]);
});

Deno.test("charts: legend, axes and escaped labels", () => {
  const svg = perMinuteChart(perMinute);
  for (
    const s of [
      "track_playback (1)",
      "pause_track (2)",
      "resume_track (3)",
      "Events per minute",
      "Minute (UTC)",
    ]
  ) {
    ok(svg.includes(s), s);
  }
  assertEquals((svg.match(/<path /g) ?? []).length, 3);
  const bars = barChart(countries, "country", "events", { axisTitle: "Events" });
  ok(bars.includes("&lt;Côte d&#39;Ivoire&gt;"));
  assertEquals((bars.match(/<rect /g) ?? []).length, 2);
  ok(perMinuteChart({ ...perMinute, rows: [] }).includes("No events"));
});

Deno.test("renderHtml: self-contained page with three charts and the tables", () => {
  const html = renderHtml({
    source: "s3://prod-python/music_events",
    generatedAt: new Date(Date.UTC(2024, 5, 1)),
    from: "2024-05-31",
    perMinute,
    topCountries: countries,
    topTracks: tracks,
    tables: [{ name: "top-countries", title: "Top countries", result: countries }],
  });
  ok(html.startsWith("<!DOCTYPE html>"));
  assertEquals((html.match(/<svg /g) ?? []).length, 3);
  ok(html.includes('<section id="top-countries">'));
  ok(html.includes("<b>32</b><span>events</span>"));
  ok(!/https?:\/\//.test(html) && !/\b(src|href)=/.test(html) && !/<script/.test(html));
});
