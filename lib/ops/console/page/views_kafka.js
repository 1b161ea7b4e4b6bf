// The console's Kafka pages: topics and their messages, consumer groups, dead letters.
"use strict";

function pretty(value) {
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/**
 * Browses one topic's partitions: newest N or N from an offset (a POST with the token).
 * `extra(m)` gives additional cells per message (the dead-letter page adds reason and source).
 */
function messageBrowser(topic, partitions, extra) {
  const out = h("div", { class: "messages" });
  const part = h(
    "select",
    { name: "partition" },
    partitions.map((p) =>
      h(
        "option",
        { value: p.partition },
        "partition " + p.partition + " (" + fmt(p.high - p.low) + ")",
      )
    ),
  );
  const limit = h("input", { name: "limit", type: "number", min: 1, max: 500, value: 50, size: 5 });
  const from = h("input", {
    name: "offset",
    type: "number",
    min: 0,
    placeholder: "newest",
    size: 10,
  });
  const show = async () => {
    if (!token()) {
      out.replaceChildren(tokenForm(show));
      return;
    }
    out.replaceChildren(h("p", { class: "muted" }, "Reading…"));
    try {
      const r = await postJson("/api/messages", {
        topic,
        partition: Number(part.value),
        limit: Number(limit.value),
        offset: from.value,
      });
      out.replaceChildren(messageTable(r, extra));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  };
  return h(
    "div",
    { class: "panel" },
    h(
      "div",
      {},
      part,
      " show ",
      limit,
      " messages from offset ",
      from,
      " ",
      h("button", { onclick: show, "data-action": "browse" }, "Show"),
    ),
    out,
  );
}

function messageTable(r, extra) {
  const cols = ["offset", "timestamp", "key"].concat(extra ? extra.columns : [], ["value"]);
  const detail = h("div", { class: "detail" });
  const head = h(
    "p",
    { class: "muted" },
    "partition " + r.partition + ": offsets " + fmt(r.low) + "–" + fmt(r.high) + ", showing " +
      r.messages.length + " from " + fmt(r.start) + (r.timedOut ? " (timed out)" : ""),
  );
  const rows = r.messages.map((m) =>
    [m.offset, m.timestamp.replace("T", " ").slice(0, 23), m.key ?? "NULL"]
      .concat(extra ? extra.cells(m) : [], [m.value === null ? "NULL" : m.value.slice(0, 160)])
  );
  const t = table(cols, rows, {
    rowAttrs: (_row, i) => ({ "data-offset": r.messages[i].offset }),
    onRow: (_row, tr, i) => {
      for (const x of tr.parentNode.children) x.classList.remove("sel");
      tr.classList.add("sel");
      const m = r.messages[i];
      detail.replaceChildren(
        h(
          "h3",
          {},
          "offset " + m.offset + " · " + fmt(m.size) + " bytes" + (m.truncated ? " (cut)" : ""),
        ),
        h(
          "pre",
          { class: "json", "data-offset": m.offset },
          m.binary ? "(binary, base64) " + m.value : pretty(m.value ?? ""),
        ),
        Object.keys(m.headers).length
          ? table(["header", "value"], Object.entries(m.headers))
          : h("p", { class: "muted" }, "no headers"),
      );
    },
  });
  return h("div", {}, head, t, detail);
}

// ---- topics ---------------------------------------------------------------------------

PAGES.topics = {
  open(root) {
    root.append(
      h("h2", {}, "Topics"),
      h("div", { class: "list" }),
      h("div", { class: "detail-topic" }),
    );
  },
  hash(root) {
    root.querySelector(".detail-topic").replaceChildren();
    if (live) this.refresh(root, live);
  },
  refresh(root, o) {
    const r = o.report;
    if (!r) return;
    if (!r.kafka.available) {
      root.querySelector(".list").replaceChildren(errorBox(r.kafka.reason));
      return;
    }
    const selected = decodeURIComponent(location.hash.split("/")[1] || "");
    root.querySelector(".list").replaceChildren(
      table(
        ["topic", "partitions", "messages", "rate"],
        r.kafka.topics.filter((t) => t.exists).map((
          t,
        ) => [t.topic, t.partitions.length, t.messages, fmtRate(o.rates.topics[t.topic])]),
        {
          rowAttrs: (row) => ({
            "data-topic": row[0],
            class: row[0] === selected ? "click sel" : "click",
          }),
          onRow: (row) => {
            location.hash = "topics/" + encodeURIComponent(row[0]);
          },
        },
      ),
    );
    const t = r.kafka.topics.find((x) => x.topic === selected && x.exists);
    const detail = root.querySelector(".detail-topic");
    if (!t) return;
    const parts = table(
      ["partition", "low", "high (end)", "messages"],
      t.partitions.map((p) => [p.partition, p.low, p.high, p.high - p.low]),
      { attrs: { class: "partitions" } },
    );
    if (detail.dataset.topic !== t.topic) {
      detail.dataset.topic = t.topic;
      detail.replaceChildren(
        h("h2", {}, "Topic " + t.topic),
        h("div", { class: "parts" }, parts),
        h("h3", {}, "Messages"),
        messageBrowser(t.topic, t.partitions),
      );
    } else {
      detail.querySelector(".parts").replaceChildren(parts);
    }
  },
};

// ---- consumer groups --------------------------------------------------------------------

PAGES.groups = {
  open(root) {
    root.append(h("h2", {}, "Consumer groups"), h("div", { class: "groups" }));
  },
  async refresh(root) {
    let g;
    try {
      g = await getJson("/api/groups");
    } catch (e) {
      root.querySelector(".groups").replaceChildren(errorBox(e));
      return;
    }
    if (!g.available) {
      root.querySelector(".groups").replaceChildren(errorBox(g.reason));
      return;
    }
    root.querySelector(".groups").replaceChildren(
      ...g.groups.map((grp) =>
        h(
          "div",
          { class: "panel", "data-group": grp.group },
          h(
            "h3",
            {},
            grp.group + " · " + grp.state + " · " + grp.members + " member(s) · lag ",
            h("span", { class: "lag" }, fmt(grp.lag)),
          ),
          grp.topics.length === 0
            ? h("p", { class: "muted" }, "no committed offsets on the topics shown")
            : null,
          grp.topics.map((t) =>
            h(
              "div",
              { class: "row", "data-topic": t.topic },
              h(
                "div",
                {},
                h("b", {}, t.topic),
                " · lag " + fmt(t.lag) + " · " + fmtRate(t.rate),
                table(
                  ["partition", "committed", "end", "lag"],
                  t.partitions.map((
                    p,
                  ) => [p.partition, p.committed === null ? "–" : p.committed, p.end, p.lag]),
                ),
              ),
              h("div", { class: "chart" }, lagChart(t.history, 380, 110)),
            )
          ),
        )
      ),
    );
  },
};

// ---- dead letters ---------------------------------------------------------------------------

PAGES.dlq = {
  open(root) {
    root.append(h("h2", {}, "Dead letters"), h("div", { class: "dlq" }));
  },
  refresh(root, o) {
    const r = o.report;
    const box = root.querySelector(".dlq");
    if (!r || box.dataset.ready) return;
    if (!r.kafka.available) {
      box.replaceChildren(errorBox(r.kafka.reason));
      return;
    }
    const t = r.kafka.topics.find((x) => x.topic === o.names.dlqTopic);
    if (!t || !t.exists) {
      box.replaceChildren(
        h(
          "p",
          { class: "muted" },
          "No dead-letter topic " + o.names.dlqTopic + " yet: nothing was rejected.",
        ),
      );
      return;
    }
    box.dataset.ready = "1";
    box.replaceChildren(
      h("p", {}, o.names.dlqTopic + ": " + fmt(t.messages) + " dead letters"),
      messageBrowser(t.topic, t.partitions, {
        columns: ["reason", "source"],
        cells: (
          m,
        ) => [
          m.headers["dlq.reason"] || "",
          [
            m.headers["dlq.source.topic"],
            m.headers["dlq.source.partition"],
            m.headers["dlq.source.offset"],
          ].filter((x) => x !== undefined).join(" / "),
        ],
      }),
    );
  },
};
