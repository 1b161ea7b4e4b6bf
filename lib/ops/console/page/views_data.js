// The console's data pages: the lake, analytics (reports and the SQL box), ClickHouse.
"use strict";

// ---- lake ---------------------------------------------------------------------------------

PAGES.lake = {
  open(root) {
    root.append(
      h("h2", {}, "Lake"),
      h("div", { class: "dates" }),
      h("div", { class: "objects" }),
      h("div", { class: "object" }),
    );
  },
  refresh(root, o) {
    const r = o.report;
    if (!r) return;
    const box = root.querySelector(".dates");
    if (!r.lake.available) {
      box.replaceChildren(errorBox(r.lake.reason));
      return;
    }
    box.replaceChildren(
      h(
        "p",
        { class: "muted" },
        "s3://" + r.lake.bucket + "/" + r.lake.prefix + "/ · " +
          fmt(r.lake.objects) + " objects · " + fmtBytes(r.lake.bytes),
      ),
      table(
        ["date", "objects", "bytes"],
        r.lake.dates.map((d) => [d.date, d.objects, fmtBytes(d.bytes)]),
        {
          onRow: (row) => this.date(root, row[0]),
        },
      ),
    );
  },
  async date(root, date) {
    const box = root.querySelector(".objects");
    box.replaceChildren(h("p", { class: "muted" }, "Reading the footers of " + date + "…"));
    try {
      const r = await getJson("/api/lake/objects?date=" + encodeURIComponent(date));
      box.replaceChildren(
        h("h3", {}, "dt=" + date),
        table(
          ["object", "rows", "bytes", "first offset", "last offset"],
          r.objects.map((x) => [x.key.split("/").pop(), x.rows, x.bytes, x.minOffset, x.maxOffset]),
          {
            onRow: (_row, _tr, i) => this.object(root, r.objects[i].key),
          },
        ),
      );
    } catch (e) {
      box.replaceChildren(errorBox(e));
    }
  },
  async object(root, key) {
    const box = root.querySelector(".object");
    box.replaceChildren(h("p", { class: "muted" }, "Opening " + key + "…"));
    try {
      const r = await getJson("/api/lake/object?key=" + encodeURIComponent(key));
      box.replaceChildren(
        h("h3", {}, key),
        h(
          "div",
          { class: "row" },
          h("div", {}, h("b", {}, "Schema"), table(r.schema.columns, r.schema.rows)),
          h("div", {}, h("b", {}, "First rows"), table(r.head.columns, r.head.rows)),
        ),
      );
    } catch (e) {
      box.replaceChildren(errorBox(e));
    }
  },
};

// ---- analytics --------------------------------------------------------------------------------

function resultView(r) {
  return table(r.columns, r.rows);
}

PAGES.analytics = {
  async open(root) {
    const charts = h(
      "div",
      { class: "charts" },
      h("p", { class: "muted" }, "Running the charted reports…"),
    );
    const one = h("div", { class: "report" });
    const sql = h(
      "textarea",
      { name: "sql" },
      "SELECT country, count(*) AS events, count(DISTINCT user_id) AS users\nFROM events GROUP BY 1 ORDER BY events DESC LIMIT 10",
    );
    const sqlOut = h("div", { class: "sql-result" });
    const run = async () => {
      if (!token()) {
        sqlOut.replaceChildren(tokenForm(run));
        return;
      }
      sqlOut.replaceChildren(h("p", { class: "muted" }, "Running…"));
      try {
        const r = await postJson("/api/sql", { sql: sql.value });
        sqlOut.replaceChildren(
          resultView(r),
          r.truncated ? h("p", { class: "muted" }, "first 1,000 rows shown") : null,
        );
      } catch (e) {
        sqlOut.replaceChildren(errorBox(e));
      }
    };
    const list = h("div", {});
    root.append(
      h("h2", {}, "Analytics"),
      charts,
      h("h2", {}, "Reports"),
      list,
      one,
      h("h2", {}, "SQL over events (read-only)"),
      h(
        "div",
        { class: "panel" },
        sql,
        h("button", { onclick: run, "data-action": "sql" }, "Run"),
        sqlOut,
      ),
    );
    try {
      const reports = await getJson("/api/reports");
      list.replaceChildren(
        ...reports.map((r) =>
          h("button", {
            title: r.description,
            onclick: () => this.show(one, r.name),
          }, r.title), " "),
      );
    } catch (e) {
      list.replaceChildren(errorBox(e));
    }
    const views = await Promise.all(
      ["per-minute", "top-countries", "top-tracks"].map((n) =>
        getJson("/api/report?name=" + n).catch((e) => ({ error: e }))
      ),
    );
    charts.replaceChildren(
      ...views.map((v) =>
        v.error ? errorBox(v.error) : h(
          "div",
          { class: "chart", "data-report": v.name },
          h("h3", {}, v.title),
          serverSvg(v.chart),
        )
      ),
    );
  },
  async show(box, name) {
    box.replaceChildren(h("p", { class: "muted" }, "Running " + name + "…"));
    try {
      const v = await getJson("/api/report?name=" + encodeURIComponent(name));
      box.replaceChildren(
        h("h3", {}, v.title + " — " + v.description),
        v.chart ? h("div", { class: "chart" }, serverSvg(v.chart)) : null,
        resultView(v.result),
      );
    } catch (e) {
      box.replaceChildren(errorBox(e));
    }
  },
};

// ---- ClickHouse ---------------------------------------------------------------------------------

function chTable(r) {
  const cols = r.meta.map((m) => m.name);
  return table(cols, r.data.map((row) => cols.map((c) => row[c])));
}

PAGES.clickhouse = {
  async open(root) {
    const result = h("div", {});
    const errors = h("div", {}, h("p", { class: "muted" }, "Loading…"));
    const list = h("div", {});
    root.append(
      h("h2", {}, "ClickHouse"),
      h("div", { class: "counts" }),
      h("h2", {}, "Named queries"),
      list,
      result,
      h("h2", {}, "Messages ClickHouse could not parse (kafka_errors)"),
      errors,
    );
    try {
      const qs = await getJson("/api/clickhouse/queries");
      list.replaceChildren(...qs.map((q) =>
        h("button", {
          title: q.description,
          onclick: async () => {
            result.replaceChildren(h("p", { class: "muted" }, "Running " + q.name + "…"));
            try {
              result.replaceChildren(
                h("h3", {}, q.name + " — " + q.description),
                chTable(await getJson("/api/clickhouse/query?name=" + encodeURIComponent(q.name))),
              );
            } catch (e) {
              result.replaceChildren(errorBox(e));
            }
          },
        }, q.name), " "));
      const e = await getJson("/api/clickhouse/errors");
      errors.replaceChildren(
        e.data.length ? chTable(e) : h("p", { class: "muted" }, "none captured"),
      );
    } catch (e) {
      errors.replaceChildren(errorBox(e));
    }
  },
  refresh(root, o) {
    const r = o.report;
    if (!r) return;
    const box = root.querySelector(".counts");
    box.replaceChildren(
      r.clickhouse.available
        ? h(
          "div",
          {},
          h("p", { class: "muted" }, "ClickHouse " + r.clickhouse.version),
          table(
            ["table", "rows", "rows/s"],
            r.clickhouse.tables.map((
              t,
            ) => [
              t.table,
              t.rows === null ? "not created" : t.rows,
              fmtRate(o.rates.tables[t.table]),
            ]),
          ),
        )
        : errorBox(r.clickhouse.reason),
    );
  },
};
