// The ferroalloy web UI (runtime §11): the component list, a component's page and the pipeline
// graph, drawn from the web API (§10) only.
//
// Design decisions:
// - No framework and no build step: each view is a function that rebuilds its part of the
//   DOM from the latest API replies. Every text from the API goes in through textContent or
//   setAttribute, never through HTML parsing.
// - One refresh loop: fetch what the current view needs, render, wait REFRESH_MS, repeat; no
//   overlapping requests, and no requests at all while the tab is hidden.
// - Routes are paths under the <base> the server writes into the page (the UI prefix):
//   "" (list), "graph", "component/<id>". Links are plain links; the server answers every one
//   of them with this page.
"use strict";

(function () {
  const REFRESH_MS = 5000;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const STATES = ["exited", "unhealthy", "unknown", "healthy"];
  const STATE_RANK = { exited: 0, unhealthy: 1, unknown: 2, healthy: 3 };
  const EVALUATION_FAILED = "component evaluation failed:";
  // A scrape target's health (pyroscope.scrape debug info) and the component state whose
  // colours it borrows.
  const TARGET_STATES = { up: "healthy", down: "unhealthy", unknown: "unknown" };
  const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
  const GO_ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;
  // Longer values (printed on one line) leave their column for a line under the row.
  const LONG_FIELD = 60;
  // The orders of the component list: the column headers on a wide screen, a select on a phone.
  const SORTS = [["id", "ID"], ["name", "Name"], ["health", "Health"]];
  const syntax = window.FerroSyntax;

  const basePath = new URL(document.baseURI).pathname;
  const main = document.getElementById("main");
  const banner = document.getElementById("banner");
  const refreshState = document.getElementById("refresh-state");

  let timer = null;
  let running = false;
  let view = null;
  // ---- DOM helpers --------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) {
        continue;
      }
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) {
        continue;
      }
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }

  function clear(node) {
    while (node.firstChild) {
      node.firstChild.remove();
    }
  }

  // ---- routes and API -----------------------------------------------------------------------

  function currentRoute() {
    const path = window.location.pathname;
    const rest = path.startsWith(basePath) ? path.slice(basePath.length) : null;
    if (rest === "") {
      return { name: "list" };
    }
    if (rest === "graph") {
      return { name: "graph" };
    }
    if (rest !== null && rest.startsWith("component/")) {
      try {
        return { name: "detail", id: decodeURIComponent(rest.slice("component/".length)) };
      } catch (_) {
        return { name: "missing" };
      }
    }
    return { name: "missing" };
  }

  function componentHref(id) {
    return "component/" + encodeURIComponent(id);
  }

  async function getJSON(path) {
    const response = await fetch("api/v0/web/" + path, {
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (response.status === 404) {
      return null;
    }
    if (!response.ok) {
      throw new Error(path + ": " + response.status + " " + response.statusText);
    }
    return response.json();
  }

  // ---- shared pieces ------------------------------------------------------------------------

  function parseTime(text) {
    if (typeof text !== "string" || text === "") {
      return null;
    }
    // RFC 3339 with up to 9 fraction digits; Date takes milliseconds.
    const trimmed = text.replace(/(\.\d{3})\d+/, "$1");
    const time = new Date(trimmed);
    return Number.isNaN(time.getTime()) ? null : time;
  }

  function ago(time) {
    const seconds = Math.round((Date.now() - time.getTime()) / 1000);
    if (seconds < 0) {
      return "just now";
    }
    if (seconds < 60) {
      return seconds + " s ago";
    }
    if (seconds < 3600) {
      return Math.floor(seconds / 60) + " min ago";
    }
    if (seconds < 86400) {
      return Math.floor(seconds / 3600) + " h ago";
    }
    return Math.floor(seconds / 86400) + " d ago";
  }

  // A time as "2026-08-21 09:40:27 UTC (3 s ago)", the API's text in `datetime` and `title`;
  // "never" for an empty text or Go's zero time (`pyroscope.scrape`'s `last_scrape` before the
  // first attempt).
  function timeNode(text) {
    if (typeof text === "string" && GO_ZERO_TIME.test(text)) {
      return el("span", { class: "muted never", title: text }, "never");
    }
    const time = parseTime(text);
    if (!time) {
      return el("span", { class: "muted never" }, text ? String(text) : "never");
    }
    const shown = time.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    return el("time", { datetime: text, title: text }, shown + " (" + ago(time) + ")");
  }

  function stateOf(component) {
    const state = component && component.health && component.health.state;
    return STATES.includes(state) ? state : "unknown";
  }

  function badge(state) {
    return el("span", { class: "badge badge-" + state }, state);
  }

  function componentLink(id) {
    return el("a", { href: componentHref(id), class: "component-id" }, id);
  }

  function pre(text) {
    return el("pre", { class: "value" }, el("code", null, text));
  }

  // ---- banner -------------------------------------------------------------------------------

  function renderBanner(status) {
    clear(banner);
    const last = status && status.lastReload;
    const success = status && status.lastSuccess;
    if (last && last.outcome !== "ok") {
      const rejected = last.outcome === "rejected";
      banner.className = "banner " + (rejected ? "banner-error" : "banner-warning");
      banner.append(el("strong", { class: "banner-title" },
        rejected
          ? "Last reload rejected: the running configuration is unchanged"
          : "Last reload applied with errors: failed components keep their previous arguments"));
      banner.append(el("p", null,
        "Outcome ", el("code", { class: "outcome" }, String(last.outcome)),
        ", triggered by ", el("code", null, String(last.trigger)), ", ", timeNode(last.time), "."));
      const diagnostics = Array.isArray(last.diagnostics) ? last.diagnostics : [];
      if (diagnostics.length > 0) {
        banner.append(el("ul", { class: "diagnostics" }, diagnostics.map((d) =>
          el("li", { class: "diagnostic diagnostic-" + String(d.severity) },
            el("span", { class: "severity" }, String(d.severity)), " ",
            el("code", null, String(d.text))))));
      }
      if (success) {
        banner.append(el("p", { class: "muted" }, "Last successful load: ", timeNode(success.time), "."));
      }
    } else {
      banner.className = "banner banner-ok";
      if (success) {
        banner.append(el("span", null, "Last successful load: ", timeNode(success.time),
          last ? " (" + String(last.trigger) + ")" : "", "."));
      } else {
        banner.append(el("span", null, "No configuration loaded yet."));
      }
    }
    banner.hidden = false;
  }

  // ---- component list -----------------------------------------------------------------------

  function listView() {
    const params = new URLSearchParams(window.location.search);
    const state = {
      query: params.get("q") || "",
      health: STATES.includes(params.get("health")) || params.get("health") === "failing"
        ? params.get("health") : "all",
      sort: SORTS.some(([value]) => value === params.get("sort")) ? params.get("sort") : "id",
      components: [],
    };
    document.title = "Components · ferroalloy";

    const search = el("input", {
      type: "search", id: "filter", placeholder: "Filter by ID, name or message",
      "aria-label": "Filter components", value: state.query,
    });
    const chips = el("div", { class: "chips", role: "group", "aria-label": "Filter by health" });
    // On a phone the column headers are hidden, and with them the sort buttons.
    const sortSelect = el("select", { id: "sort", "aria-label": "Sort components" },
      SORTS.map(([value, label]) => el("option", { value: value, selected: state.sort === value }, label)));
    sortSelect.addEventListener("change", () => {
      state.sort = sortSelect.value;
      saveParams();
      render();
    });
    const summary = el("p", { class: "muted", id: "summary" });
    const tableHolder = el("div", { class: "table-holder" });
    clear(main);
    main.append(el("h1", null, "Components"),
      el("div", { class: "controls" }, search, chips,
        el("label", { class: "sort-control" }, "Sort by ", sortSelect)), summary, tableHolder);

    function saveParams() {
      const next = new URLSearchParams();
      if (state.query) next.set("q", state.query);
      if (state.health !== "all") next.set("health", state.health);
      if (state.sort !== "id") next.set("sort", state.sort);
      const query = next.toString();
      window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
    }

    function matches(component) {
      const shown = stateOf(component);
      if (state.health === "failing" && shown !== "unhealthy" && shown !== "exited") return false;
      if (state.health !== "all" && state.health !== "failing" && shown !== state.health) return false;
      if (!state.query) return true;
      const needle = state.query.toLowerCase();
      return [component.localID, component.name, component.health && component.health.message]
        .some((text) => typeof text === "string" && text.toLowerCase().includes(needle));
    }

    function compare(a, b) {
      const byId = String(a.localID).localeCompare(String(b.localID));
      if (state.sort === "health") {
        return (STATE_RANK[stateOf(a)] - STATE_RANK[stateOf(b)]) || byId;
      }
      if (state.sort === "name") {
        return String(a.name).localeCompare(String(b.name)) || byId;
      }
      return byId;
    }

    function renderChips() {
      clear(chips);
      const counts = { all: state.components.length, failing: 0 };
      for (const s of STATES) counts[s] = 0;
      for (const c of state.components) {
        const s = stateOf(c);
        counts[s] += 1;
        if (s === "unhealthy" || s === "exited") counts.failing += 1;
      }
      const options = [["all", "All"], ["failing", "Failing"], ["healthy", "Healthy"],
        ["unhealthy", "Unhealthy"], ["exited", "Exited"], ["unknown", "Unknown"]];
      for (const [value, label] of options) {
        const button = el("button", {
          type: "button", class: "chip chip-" + value, "aria-pressed": String(state.health === value),
          "data-health": value,
        }, label + " ", el("span", { class: "count" }, String(counts[value])));
        button.addEventListener("click", () => {
          state.health = value;
          saveParams();
          render();
        });
        chips.append(button);
      }
    }

    function sortHeader(key, label) {
      const active = state.sort === key;
      const button = el("button", { type: "button", class: "sort", "data-sort": key },
        label, active ? " ▾" : "");
      button.addEventListener("click", () => {
        state.sort = key;
        saveParams();
        render();
      });
      return el("th", { scope: "col", "aria-sort": active ? "ascending" : "none" }, button);
    }

    function render() {
      renderChips();
      sortSelect.value = state.sort;
      const rows = state.components.filter(matches).sort(compare);
      summary.textContent = rows.length === state.components.length
        ? state.components.length + " components"
        : rows.length + " of " + state.components.length + " components";
      clear(tableHolder);
      if (rows.length === 0) {
        tableHolder.append(el("p", { class: "empty" },
          state.components.length === 0 ? "No components are running." : "No component matches the filter."));
        return;
      }
      tableHolder.append(el("table", { class: "components", id: "components" },
        el("thead", null, el("tr", null,
          sortHeader("health", "Health"), sortHeader("id", "ID"), sortHeader("name", "Name"),
          el("th", { scope: "col" }, "Message"), el("th", { scope: "col", class: "col-time" }, "Updated"))),
        el("tbody", null, rows.map((c) => {
          const shown = stateOf(c);
          return el("tr", { class: "row-" + shown, "data-id": c.localID },
            el("td", { class: "cell-health", "data-label": "Health" }, badge(shown)),
            el("td", { class: "cell-id", "data-label": "ID" }, componentLink(String(c.localID))),
            el("td", { class: "cell-name", "data-label": "Name" }, String(c.name)),
            el("td", { class: "cell-message", "data-label": "Message" }, String((c.health && c.health.message) || "")),
            el("td", { class: "cell-time col-time", "data-label": "Updated" }, timeNode(c.health && c.health.updatedTime)));
        }))));
    }

    search.addEventListener("input", () => {
      state.query = search.value;
      saveParams();
      render();
    });

    return {
      async load() {
        const components = await getJSON("components");
        state.components = Array.isArray(components) ? components : [];
        render();
      },
    };
  }

  // ---- component detail ---------------------------------------------------------------------

  function bodyIsFlat(statements) {
    return Array.isArray(statements) && statements.every((s) => s && s.type === "attr");
  }

  // A value that reads better as a picture than as text, or null: a scrape target's `health`
  // as a badge coloured like component health, an RFC 3339 time (or the empty text of a time
  // field that has none yet) as a date with its age.
  function fieldValue(name, value) {
    if (!value || value.type !== "string") return null;
    const text = String(value.value);
    if (name === "health" && Object.hasOwn(TARGET_STATES, text)) {
      return el("span", { class: "badge badge-" + TARGET_STATES[text] + " badge-target", "data-state": text }, text);
    }
    const timeField = name === "last_success" || name === "last_scrape" || name.endsWith("_time");
    if (RFC3339.test(text) || (timeField && text === "")) {
      return timeNode(text);
    }
    return null;
  }

  // A body (§10.2): attributes as a name/value table; blocks as sub-sections, except a run of
  // blocks of one name whose bodies hold only attributes, which reads best as one table with a
  // row per block (pyroscope.write's `endpoint`, pyroscope.scrape's `target`).
  function renderBody(statements, depth) {
    const holder = el("div", { class: "body" });
    if (!Array.isArray(statements) || statements.length === 0) {
      holder.append(el("p", { class: "muted empty" }, "None."));
      return holder;
    }
    const attrs = statements.filter((s) => s && s.type === "attr");
    if (attrs.length > 0) {
      holder.append(el("table", { class: "kv" }, el("tbody", null, attrs.map((s) =>
        el("tr", { "data-name": String(s.name) },
          el("th", { scope: "row" }, String(s.name)),
          el("td", null, fieldValue(String(s.name), s.value) || pre(syntax.format(s.value))))))));
    }
    const groups = new Map();
    for (const s of statements) {
      if (s && s.type === "block") {
        const name = String(s.name);
        if (!groups.has(name)) groups.set(name, []);
        groups.get(name).push(s);
      }
    }
    const heading = "h" + Math.min(6, depth + 3);
    for (const [name, blocks] of groups) {
      const asTable = blocks.length > 1 && blocks.every((b) => bodyIsFlat(b.body));
      if (asTable) {
        holder.append(el("section", { class: "block block-table", "data-block": name },
          el(heading, null, name, el("span", { class: "muted" }, " (" + blocks.length + ")")),
          blockTable(blocks)));
        continue;
      }
      for (const block of blocks) {
        const title = block.label !== undefined ? name + " " + syntax.quote(block.label) : name;
        holder.append(el("section", { class: "block", "data-block": name },
          el(heading, null, title), renderBody(block.body, depth + 1)));
      }
    }
    return holder;
  }

  // A field too long for a column: any map (a target's `labels`, `dropped_by_reason`), an
  // error text, or a value longer than a short URL. Such fields go on a line of their own
  // under their block's row, across the whole table, so the table fits a wide screen without
  // sideways scrolling.
  function isLongField(name, values) {
    if (name.endsWith("error")) return true;
    return values.some((v) => v && (v.type === "object"
      || ((v.type === "string" || v.type === "array") && syntax.formatInline(v).length > LONG_FIELD)));
  }

  function blockTable(blocks) {
    const names = [];
    const hasLabel = blocks.some((b) => b.label !== undefined);
    for (const block of blocks) {
      for (const s of block.body) {
        if (!names.includes(String(s.name))) names.push(String(s.name));
      }
    }
    const rows = blocks.map((block) => new Map(block.body.map((s) => [String(s.name), s.value])));
    const long = names.filter((n) => isLongField(n, rows.filter((r) => r.has(n)).map((r) => r.get(n))));
    const columns = names.filter((n) => !long.includes(n));
    const width = columns.length + (hasLabel ? 1 : 0);
    const missing = () => el("span", { class: "muted" }, "—");
    return el("div", { class: "table-scroll" }, el("table", { class: "blocks" },
      el("thead", null, el("tr", null,
        hasLabel ? el("th", { scope: "col" }, "label") : null,
        columns.map((c) => el("th", { scope: "col", title: c }, breakable(c))))),
      blocks.map((block, index) => {
        const byName = rows[index];
        const health = byName.get("health");
        const state = health && health.type === "string" && Object.hasOwn(TARGET_STATES, String(health.value))
          ? TARGET_STATES[String(health.value)] : null;
        // One <tbody> per block keeps its two lines together.
        return el("tbody", { class: "block-row" + (state ? " row-" + state : "") },
          el("tr", { class: "block-main" },
            hasLabel ? el("td", { "data-column": "label" }, block.label !== undefined ? syntax.quote(block.label) : "") : null,
            columns.map((c) => el("td", { "data-column": c },
              byName.has(c) ? cellValue(c, byName.get(c)) : missing()))),
          long.length > 0
            ? el("tr", { class: "block-extra" }, el("td", { colspan: width },
              el("dl", { class: "fields" }, long.map((c) => el("div", { class: "field", "data-column": c },
                el("dt", null, c),
                el("dd", null, byName.has(c) ? longValue(byName.get(c)) : missing()))))))
            : null);
      })));
  }

  // A column name that may wrap after its underscores.
  function breakable(name) {
    const parts = [];
    name.split("_").forEach((part, index) => {
      if (index > 0) parts.push("_", el("wbr"));
      parts.push(part);
    });
    return parts;
  }

  // A short value on one line; a URL may wrap after its slashes, not inside its host.
  function cellValue(name, value) {
    const special = fieldValue(name, value);
    if (special) return special;
    const text = syntax.formatInline(value);
    if (value && value.type === "string" && (name === "url" || name.endsWith("_url"))) {
      const parts = [];
      // A slash followed by something other than a slash or the closing quote.
      text.split(/(?<=\/)(?![/"])/).forEach((part, index) => {
        if (index > 0) parts.push(el("wbr"));
        parts.push(part);
      });
      return el("code", { class: "value" }, parts);
    }
    return el("code", { class: "value" }, text);
  }

  // A long value under its row: a map as one `key = value` chip per entry, which wraps between
  // entries (a target's labels); anything else as text that wraps where it must.
  function longValue(value) {
    if (value && value.type === "object" && Array.isArray(value.value) && value.value.length > 0) {
      return el("span", { class: "pairs" }, value.value.map((entry) =>
        el("code", { class: "value pair" }, syntax.key(String(entry.key)) + " = " + syntax.formatInline(entry.value))));
    }
    return el("code", { class: "value" }, syntax.formatInline(value));
  }

  function relationList(ids, byId, empty) {
    if (!Array.isArray(ids) || ids.length === 0) {
      return el("p", { class: "muted" }, empty);
    }
    return el("ul", { class: "relations" }, ids.map((id) => {
      const other = byId.get(id);
      return el("li", null, other ? badge(stateOf(other)) : null, " ", componentLink(String(id)),
        other && other.health && stateOf(other) !== "healthy"
          ? el("span", { class: "muted relation-message" }, " " + String(other.health.message)) : null);
    }));
  }

  function detailView(id) {
    document.title = id + " · ferroalloy";
    return {
      async load() {
        const [component, list] = await Promise.all([
          getJSON("components/" + encodeURIComponent(id)), getJSON("components"),
        ]);
        clear(main);
        if (!component) {
          main.append(el("h1", null, id),
            el("p", { class: "empty" }, "There is no component with this ID; a reload may have removed it."),
            el("p", null, el("a", { href: "./" }, "All components")));
          return;
        }
        const byId = new Map((Array.isArray(list) ? list : []).map((c) => [c.localID, c]));
        const shown = stateOf(component);
        const message = String((component.health && component.health.message) || "");
        const repository = document.body.getAttribute("data-repository");
        const name = String(component.name);
        const reference = repository && /^[a-z0-9_.]+$/.test(name)
          ? el("a", { href: repository + "/blob/main/docs/components/" + name + ".md", rel: "noreferrer" },
            "Reference for " + name)
          : null;

        main.append(
          el("p", { class: "crumbs" }, el("a", { href: "./" }, "Components"), " / ", name),
          el("h1", { class: "detail-title" }, el("span", { id: "component-id" }, String(component.localID)), " ", badge(shown)),
          el("section", { class: "card health-card health-" + shown, id: "health" },
            el("h2", null, "Health"),
            el("p", { class: "health-line" }, badge(shown), " ", el("span", { id: "health-message" }, message)),
            el("p", { class: "muted" }, "Updated ", timeNode(component.health && component.health.updatedTime)),
            reference ? el("p", null, reference) : null),
          el("div", { class: "relations-grid" },
            el("section", { class: "card", id: "dependencies" }, el("h2", null, "Dependencies"),
              el("p", { class: "muted hint" }, "Components this one references."),
              relationList(component.referencesTo, byId, "None.")),
            el("section", { class: "card", id: "dependants" }, el("h2", null, "Dependants"),
              el("p", { class: "muted hint" }, "Components that reference this one."),
              relationList(component.referencedBy, byId, "None.")),
            el("section", { class: "card", id: "data-flow" }, el("h2", null, "Sends data to"),
              relationList(component.dataFlowEdgesTo, byId, "None."))),
          el("section", { class: "card", id: "arguments" }, el("h2", null, "Arguments"),
            message.startsWith(EVALUATION_FAILED)
              ? el("p", { class: "note", id: "last-good" },
                "The last evaluation failed: these are the last good arguments, still applied.")
              : null,
            renderBody(component.arguments, 0)),
          el("section", { class: "card", id: "exports" }, el("h2", null, "Exports"),
            renderBody(component.exports, 0)),
          el("section", { class: "card", id: "debug-info" }, el("h2", null, "Debug info"),
            renderBody(component.debugInfo, 0)));
      },
    };
  }

  // ---- graph --------------------------------------------------------------------------------

  const NODE_HEIGHT = 46;
  const ROW_GAP = 18;
  const COLUMN_GAP = 70;
  const MARGIN = 16;
  const CHAR_WIDTH = 8.2;

  // Evaluation depth: 0 for a component that references no other, else one more than its
  // deepest dependency (the order in which the runtime can evaluate them).
  function depths(components) {
    const byId = new Map(components.map((c) => [c.localID, c]));
    const depth = new Map();
    const visiting = new Set();
    function visit(id) {
      if (depth.has(id)) return depth.get(id);
      if (visiting.has(id)) return 0;
      visiting.add(id);
      let d = 0;
      for (const dep of byId.get(id).referencesTo || []) {
        if (byId.has(dep)) d = Math.max(d, visit(dep) + 1);
      }
      visiting.delete(id);
      depth.set(id, d);
      return d;
    }
    components.forEach((c) => visit(c.localID));
    return depth;
  }

  // Order each layer by the mean row of its neighbours in the layers already ordered (one
  // sweep right, one back left), which removes most crossings of small pipelines.
  function orderLayers(layers, components) {
    const neighbours = new Map(components.map((c) => [c.localID, new Set()]));
    for (const c of components) {
      for (const other of [].concat(c.referencesTo || [], c.dataFlowEdgesTo || [])) {
        if (neighbours.has(other) && other !== c.localID) {
          neighbours.get(c.localID).add(other);
          neighbours.get(other).add(c.localID);
        }
      }
    }
    const row = new Map();
    const place = (layer) => layer.forEach((c, index) => row.set(c.localID, index));
    const sortBy = (layer) => {
      const key = new Map(layer.map((c, index) => {
        const rows = [...neighbours.get(c.localID)].filter((id) => row.has(id)).map((id) => row.get(id));
        return [c.localID, rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : index];
      }));
      layer.sort((a, b) => key.get(a.localID) - key.get(b.localID));
    };
    const present = layers.filter(Boolean);
    present.forEach((layer, index) => {
      if (index > 0) sortBy(layer);
      place(layer);
    });
    for (let index = present.length - 2; index >= 0; index -= 1) {
      row.clear();
      place(present[index + 1]);
      sortBy(present[index]);
    }
  }

  function layout(components) {
    const depth = depths(components);
    const layers = [];
    for (const c of components) {
      const d = depth.get(c.localID);
      (layers[d] = layers[d] || []).push(c);
    }
    orderLayers(layers, components);
    const nodes = new Map();
    let x = MARGIN;
    let height = 0;
    layers.forEach((layer) => {
      if (!layer) return;
      const width = Math.max(150, ...layer.map((c) => String(c.localID).length * CHAR_WIDTH + 28));
      layer.forEach((c, row) => {
        const y = MARGIN + row * (NODE_HEIGHT + ROW_GAP);
        nodes.set(c.localID, { component: c, x: x, y: y, width: width, layer: depth.get(c.localID) });
        height = Math.max(height, y + NODE_HEIGHT + MARGIN);
      });
      x += width + COLUMN_GAP;
    });
    return { nodes: nodes, width: Math.max(x - COLUMN_GAP + MARGIN, 200), height: Math.max(height, 80) };
  }

  function edgePath(from, to) {
    const midY = (n) => n.y + NODE_HEIGHT / 2;
    if (to.layer > from.layer) {
      const x1 = from.x + from.width;
      const x2 = to.x;
      const bend = (x2 - x1) / 2;
      return "M" + x1 + "," + midY(from) + " C" + (x1 + bend) + "," + midY(from) + " " + (x2 - bend) + "," + midY(to) + " " + x2 + "," + midY(to);
    }
    if (to.layer < from.layer) {
      const x1 = from.x;
      const x2 = to.x + to.width;
      const bend = (x1 - x2) / 2;
      return "M" + x1 + "," + midY(from) + " C" + (x1 - bend) + "," + midY(from) + " " + (x2 + bend) + "," + midY(to) + " " + x2 + "," + midY(to);
    }
    const x = from.x + from.width;
    const bulge = x + 40;
    return "M" + x + "," + midY(from) + " C" + bulge + "," + midY(from) + " " + bulge + "," + midY(to) + " " + x + "," + midY(to);
  }

  function graphView() {
    document.title = "Graph · ferroalloy";
    return {
      async load() {
        const list = await getJSON("components");
        const components = Array.isArray(list) ? list : [];
        clear(main);
        main.append(el("h1", null, "Pipeline graph"),
          el("p", { class: "muted" },
            "Columns follow evaluation order (a component stands right of everything it references); arrows show where data flows. Click a component to open it."),
          el("ul", { class: "legend" }, STATES.slice().reverse().map((s) => el("li", null, badge(s)))));
        if (components.length === 0) {
          main.append(el("p", { class: "empty" }, "No components are running."));
          return;
        }
        const { nodes, width, height } = layout(components);
        const drawing = svg("svg", {
          id: "graph", class: "graph", width: width, height: height, viewBox: "0 0 " + width + " " + height,
          role: "img", "aria-label": "Pipeline graph of " + components.length + " components",
        }, svg("defs", null, svg("marker", {
          id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse",
        }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }))));
        const edges = svg("g", { class: "edges" });
        for (const node of nodes.values()) {
          for (const target of node.component.dataFlowEdgesTo || []) {
            const to = nodes.get(target);
            if (!to) continue;
            edges.append(svg("path", {
              d: edgePath(node, to), class: "edge", "marker-end": "url(#arrow)",
              "data-from": node.component.localID, "data-to": target,
            }));
          }
        }
        drawing.append(edges);
        for (const node of nodes.values()) {
          const c = node.component;
          const shown = stateOf(c);
          drawing.append(svg("a", { href: componentHref(String(c.localID)), class: "node node-" + shown, "data-id": c.localID },
            svg("title", null, String(c.localID) + ": " + shown + ", " + String((c.health && c.health.message) || "")),
            svg("rect", { x: node.x, y: node.y, width: node.width, height: NODE_HEIGHT, rx: 6 }),
            svg("text", { x: node.x + 12, y: node.y + 19, class: "node-id" }, String(c.localID)),
            svg("text", { x: node.x + 12, y: node.y + 36, class: "node-state" }, shown)));
        }
        main.append(el("div", { class: "graph-scroll" }, drawing));
      },
    };
  }

  function missingView() {
    document.title = "Not found · ferroalloy";
    return {
      async load() {
        clear(main);
        main.append(el("h1", null, "Page not found"), el("p", null, el("a", { href: "./" }, "All components")));
      },
    };
  }

  // ---- refresh loop -------------------------------------------------------------------------

  async function refresh() {
    if (running) return;
    running = true;
    clearTimeout(timer);
    timer = null;
    try {
      const [status] = await Promise.all([getJSON("reload-status"), view.load()]);
      renderBanner(status);
      const now = new Date().toISOString().slice(11, 19);
      refreshState.textContent = "Updated " + now + " UTC · every " + REFRESH_MS / 1000 + " s";
      refreshState.className = "refresh-state";
    } catch (err) {
      refreshState.textContent = "Cannot reach ferroalloy: " + (err && err.message ? err.message : String(err));
      refreshState.className = "refresh-state refresh-error";
    } finally {
      running = false;
      if (!document.hidden) {
        timer = setTimeout(refresh, REFRESH_MS);
      }
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
      refreshState.textContent = "Paused while the tab is hidden";
    } else {
      refresh();
    }
  });

  const route = currentRoute();
  view = route.name === "list" ? listView()
    : route.name === "graph" ? graphView()
      : route.name === "detail" ? detailView(route.id)
        : missingView();
  const navId = route.name === "graph" ? "nav-graph" : "nav-components";
  document.getElementById(navId).setAttribute("aria-current", "page");
  refresh();
})();
