/* cfncheck HTML report. Every string in DATA comes from the scanned assembly and is untrusted:
   it reaches the DOM through textContent / attribute values set as properties, never innerHTML,
   and links only when they start with https:// or http://. */
(function () {
  "use strict";
  var t0 = performance.now();
  var DATA = JSON.parse(document.getElementById("cfncheck-data").textContent);
  var SEV_RANK = { error: 3, warning: 2, info: 1 };
  var PAGE = 200;
  var api = (window.cfncheckReport = { data: DATA, ready: false, renderMs: null });

  function el(tag, props, children) {
    var e = document.createElement(tag);
    if (props) {
      for (var k in props) {
        if (k === "text") e.textContent = props[k];
        else if (k === "cls") e.className = props[k];
        else e.setAttribute(k, props[k]);
      }
    }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  function safeLink(url, text) {
    if (typeof url === "string" && /^https?:\/\//.test(url)) {
      var a = el("a", { text: text, target: "_blank", rel: "noopener noreferrer" });
      a.href = url;
      return a;
    }
    return el("code", { text: text });
  }
  function $(id) { return document.getElementById(id); }

  // ---- findings indexes ----------------------------------------------------------------
  var findings = DATA.findings.map(function (f, i) { f.i = i; return f; });
  var activeF = findings.filter(function (f) { return !f.sup; });
  var suppressedF = findings.filter(function (f) { return !!f.sup; });
  var byNode = {}, worstNode = {}, worstStack = {};
  activeF.forEach(function (f) {
    if (f.node >= 0) {
      (byNode[f.node] = byNode[f.node] || []).push(f);
      if ((SEV_RANK[f.sev] || 0) > (worstNode[f.node] || 0)) worstNode[f.node] = SEV_RANK[f.sev];
    }
    var s = f.stack;
    while (s >= 0) {
      if ((SEV_RANK[f.sev] || 0) > (worstStack[s] || 0)) worstStack[s] = SEV_RANK[f.sev];
      s = DATA.stacks[s].parent;
    }
  });
  var RANK_NAME = { 3: "error", 2: "warning", 1: "info" };

  // ---- tabs ------------------------------------------------------------------------------
  var current = "overview";
  function show(view) {
    current = view;
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-view") === view);
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.view"), function (s) {
      s.hidden = s.id !== "view-" + view;
    });
    if (view === "assembly") ensureGraph();
  }
  api.show = show;
  Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-view")); });
  });

  // ---- overview --------------------------------------------------------------------------
  function overview() {
    var m = DATA.meta;
    var v = $("verdict");
    v.textContent = m.failed ? (m.inputErrors.length ? "FAILED: " + m.inputErrors.length + " input error(s)"
      : "FAILED: " + m.gateCount + " finding(s) at or above " + m.failOn) : "PASSED (--fail-on " + m.failOn + ")";
    v.className = "verdict " + (m.failed ? "fail" : "pass");
    var meta = $("meta");
    [["Command", "cfncheck " + m.command], ["Config", m.config || "(none)"],
     ["Scanned", m.scanned.join(", ")], ["Generated", m.generated + " by cfncheck " + m.version],
     ["Findings", m.active + " active, " + (m.total - m.active) + " suppressed or baselined" +
       (m.omitted ? " (" + m.omitted + " more not included in this page)" : "")]
    ].forEach(function (kv) { meta.appendChild(el("dt", { text: kv[0] })); meta.appendChild(el("dd", { text: kv[1] })); });
    $("tab-findings-count").textContent = "(" + activeF.length + ")";
    $("tab-suppressed-count").textContent = "(" + suppressedF.length + ")";
    var tb = $("stack-table").tBodies[0], tot = { error: 0, warning: 0, info: 0, suppressed: 0, baselined: 0 };
    DATA.rows.slice().sort(function (a, b) { return a.stage < b.stage ? -1 : a.stage > b.stage ? 1 : a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0; })
      .forEach(function (r) {
        var tr = el("tr", null, [el("td", { text: r.stage }), el("td", { text: r.stack })]);
        ["error", "warning", "info", "suppressed", "baselined"].forEach(function (k) {
          tot[k] += r[k];
          tr.appendChild(el("td", { cls: "num" + (r[k] && SEV_RANK[k] ? " sev " + k : ""), text: String(r[k]) }));
        });
        tb.appendChild(tr);
      });
    var ft = el("tr", null, [el("td", { text: "Total" }), el("td", { text: DATA.stacks.length + " stacks" })]);
    ["error", "warning", "info", "suppressed", "baselined"].forEach(function (k) { ft.appendChild(el("td", { cls: "num", text: String(tot[k]) })); });
    $("stack-table").tFoot.appendChild(ft);
    if (DATA.controls.length) {
      $("controls-section").hidden = false;
      var cb = $("control-table").tBodies[0];
      DATA.controls.forEach(function (c) {
        cb.appendChild(el("tr", null, [el("td", { text: c.framework }), el("td", { text: c.control }),
          el("td", { cls: "status " + c.status, text: c.status }), el("td", { cls: "mono", text: c.checks.join(", ") }),
          el("td", { cls: "num", text: String(c.failing) }),
          el("td", { cls: "num", text: c.passing === null || c.passing === undefined ? "-" : String(c.passing) })]));
      });
    }
    if (m.inputErrors.length) {
      $("errors-section").hidden = false;
      m.inputErrors.forEach(function (e) { $("errors-list").appendChild(el("li", { cls: "mono", text: e })); });
    }
    if (m.notes.length) {
      $("notes-section").hidden = false;
      m.notes.forEach(function (e) { $("notes-list").appendChild(el("li", { text: e })); });
    }
  }

  // ---- findings table --------------------------------------------------------------------
  var shown = PAGE, filtered = [];
  function fillSelect(id, values) {
    var s = $(id);
    values.forEach(function (v) { var o = el("option", { text: v }); o.value = v; s.appendChild(o); });
  }
  function uniq(list) { var seen = {}, out = []; list.forEach(function (x) { if (!seen[x]) { seen[x] = 1; out.push(x); } }); return out.sort(); }
  function resourceCell(f) {
    var td = el("td");
    if (f.cpath) td.appendChild(el("code", { text: f.cpath }));
    else if (f.lid) td.appendChild(el("code", { text: f.lid }));
    if (f.type) td.appendChild(el("div", { cls: "count", text: f.type }));
    if (f.related.length) td.appendChild(el("div", { cls: "count", text: "+ " + f.related.length + " related resource(s)" }));
    return td;
  }
  function locationCell(f) {
    var td = el("td", null, [safeLink(f.link, f.where)]);
    if (f.src) td.appendChild(el("div", { cls: "count" }, ["CDK source: ", el("code", { text: f.src })]));
    return td;
  }
  function fixDetails(f) {
    var rule = DATA.rules[f.rule] || {};
    if (!rule.remediation) return null;
    var d = el("details", null, [el("summary", { text: "fix" }), el("pre", { cls: "fix", text: rule.remediation })]);
    if (rule.docs) d.appendChild(safeLink(rule.docs, "documentation"));
    return d;
  }
  function row(f) {
    var rule = DATA.rules[f.rule] || {};
    var tr = el("tr", { "data-index": String(f.i) }, [
      el("td", { cls: "sev " + f.sev, text: f.sev }),
      el("td", null, [el("code", { text: f.rule }), el("div", { cls: "count", text: rule.title || "" })]),
      el("td", { text: f.stage }), el("td", { text: f.stackName }),
      resourceCell(f), locationCell(f),
      el("td", null, [el("div", { text: f.msg }), fixDetails(f)])]);
    tr.addEventListener("click", function (ev) {
      if (ev.target.closest("a, details")) return;
      selectFinding(f.i);
    });
    return tr;
  }
  function applyFilters() {
    var sev = {};
    Array.prototype.forEach.call(document.querySelectorAll("#filters input[name=sev]"), function (c) { sev[c.value] = c.checked; });
    var check = $("f-check").value, stage = $("f-stage").value, stack = $("f-stack").value;
    var text = $("f-text").value.trim().toLowerCase();
    filtered = activeF.filter(function (f) {
      if (!sev[f.sev]) return false;
      if (check && f.rule !== check) return false;
      if (stage && f.stage !== stage) return false;
      if (stack && f.stackName !== stack) return false;
      if (text) {
        var hay = (f.msg + "\n" + f.cpath + "\n" + f.lid + "\n" + f.rule + "\n" + f.where + "\n" + f.type + "\n" + f.stackName).toLowerCase();
        if (hay.indexOf(text) < 0) return false;
      }
      return true;
    });
    filtered.sort(function (a, b) { return (SEV_RANK[b.sev] - SEV_RANK[a.sev]) || (a.i - b.i); });
    shown = PAGE;
    drawFindings();
  }
  function drawFindings() {
    var tb = $("findings-table").tBodies[0];
    tb.textContent = "";
    filtered.slice(0, shown).forEach(function (f) { tb.appendChild(row(f)); });
    $("findings-count").textContent = filtered.length + " of " + activeF.length + " findings" +
      (filtered.length > shown ? " (first " + shown + " shown)" : "");
    $("findings-more").hidden = filtered.length <= shown;
  }
  api.applyFilters = applyFilters;
  function findingsView() {
    fillSelect("f-check", uniq(activeF.map(function (f) { return f.rule; })));
    fillSelect("f-stage", uniq(activeF.map(function (f) { return f.stage; })));
    fillSelect("f-stack", uniq(activeF.map(function (f) { return f.stackName; })));
    $("filters").addEventListener("input", applyFilters);
    $("filters").addEventListener("change", applyFilters);
    $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
    $("findings-more").addEventListener("click", function () { shown += PAGE; drawFindings(); });
    applyFilters();
    var tb = $("suppressed-table").tBodies[0];
    suppressedF.forEach(function (f) {
      tb.appendChild(el("tr", { "data-index": String(f.i) }, [
        el("td", { cls: "sev " + f.sev, text: f.sev }), el("td", null, [el("code", { text: f.rule })]),
        el("td", { text: f.stackName }), resourceCell(f), el("td", { text: f.sup.source }),
        el("td", { text: f.sup.reason }), el("td", { text: f.sup.expires || "" }), el("td", { text: f.msg })]));
    });
    $("suppressed-count").textContent = suppressedF.length + " suppressed or baselined findings";
  }

  // ---- the assembly graph ------------------------------------------------------------------
  var cy = null, expanded = {}, built = false;
  function stackVisible(i) {   // a stack node is drawn when every ancestor is expanded
    var p = DATA.stacks[i].parent;
    while (p >= 0) { if (!expanded[p]) return false; p = DATA.stacks[p].parent; }
    return true;
  }
  function repStack(i) {       // the outermost collapsed stack that contains stack i (or i)
    var chain = [], s = i;
    while (s >= 0) { chain.unshift(s); s = DATA.stacks[s].parent; }
    for (var k = 0; k < chain.length; k++) if (!expanded[chain[k]]) return chain[k];
    return -1;
  }
  function repNode(n) {        // the element id that stands for resource n
    var s = repStack(DATA.nodes[n][0]);
    return s >= 0 ? "s" + s : "n" + n;
  }
  function sevClass(rank) { return RANK_NAME[rank] || "clean"; }
  function elements() {
    var els = [];
    DATA.stacks.forEach(function (s, i) {
      if (!stackVisible(i)) return;
      var d = { id: "s" + i, label: s.name + (expanded[i] ? "" : " [+]"), kind: "stack", index: i };
      if (s.parent >= 0) d.parent = "s" + s.parent;
      els.push({ group: "nodes", data: d, classes: "stack " + (expanded[i] ? "open " : "closed ") + sevClass(worstStack[i]) });
    });
    DATA.nodes.forEach(function (n, i) {
      if (repStack(n[0]) >= 0) return;
      els.push({ group: "nodes", data: { id: "n" + i, parent: "s" + n[0], label: n[3] + "\n" + n[2], kind: "resource", index: i },
        classes: "resource " + sevClass(worstNode[i]) });
    });
    var seen = {};
    DATA.edges.forEach(function (e) {
      var a = repNode(e[0]), b = repNode(e[1]);
      if (a === b) return;
      var key = a + ">" + b;
      if (seen[key]) return;
      seen[key] = 1;
      els.push({ group: "edges", data: { id: "e" + key, source: a, target: b, kind: e[2] },
        classes: (e[3] || a.charAt(0) === "s" || b.charAt(0) === "s") ? "cross" : "" });
    });
    return els;
  }
  function layout() {
    // Layered layout (dagre) for what is connected; top-level stacks with no reference in or
    // out (typical of many independent stacks) go on a grid below it instead of one long row.
    var alone = cy.nodes().filter(function (n) {
      return n.isOrphan() && n.union(n.descendants()).connectedEdges().length === 0;
    });
    var rest = cy.elements().not(alone.union(alone.descendants()));
    var bottom = 0;
    if (rest.nodes().length) {
      rest.layout({ name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 60, animate: false, fit: false }).run();
      var bb = rest.boundingBox();
      bottom = bb.y2 + 60;
    }
    if (alone.length) {
      var cols = Math.ceil(Math.sqrt(alone.length * 2));
      var w = Math.max(600, cols * 140), h = Math.ceil(alone.length / cols) * 90;
      alone.union(alone.descendants()).layout({ name: "grid", cols: cols, animate: false, fit: false,
        boundingBox: { x1: 0, y1: bottom, w: w, h: h }, avoidOverlap: true }).run();
    }
    cy.fit(undefined, 20);
  }
  function redraw() {
    cy.startBatch();
    cy.elements().remove();
    cy.add(elements());
    cy.endBatch();
    layout();
    $("graph-status").textContent = cy.nodes(".resource").length + " of " + DATA.nodes.length + " resources drawn, " +
      DATA.stacks.length + " stacks, " + cy.edges().length + " edges";
  }
  function ensureGraph() {
    if (built) return;
    built = true;
    if (typeof cytoscape === "undefined") { $("graph-status").textContent = "graph library missing"; return; }
    if (!DATA.meta.collapse) DATA.stacks.forEach(function (s, i) { expanded[i] = true; });
    cy = cytoscape({
      container: $("cy"), minZoom: 0.05, maxZoom: 3,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 9, "text-wrap": "wrap", "text-max-width": 140,
          "text-valign": "bottom", "text-margin-y": 3, "background-color": "#9e9e9e", "width": 16, "height": 16 } },
        { selector: "node.stack", style: { "shape": "round-rectangle", "background-opacity": 0.08, "border-width": 2,
          "border-color": "#9e9e9e", "text-valign": "top", "font-size": 11, "font-weight": "bold", "padding": 12 } },
        { selector: "node.stack.closed", style: { "width": 90, "height": 36, "background-opacity": 0.25, "text-valign": "center" } },
        { selector: "node.error", style: { "background-color": "#c62828", "border-color": "#c62828" } },
        { selector: "node.warning", style: { "background-color": "#ef6c00", "border-color": "#ef6c00" } },
        { selector: "node.info", style: { "background-color": "#1565c0", "border-color": "#1565c0" } },
        { selector: "edge", style: { "width": 1, "line-color": "#bbb", "target-arrow-shape": "triangle",
          "target-arrow-color": "#bbb", "arrow-scale": 0.6, "curve-style": "bezier" } },
        { selector: "edge.cross", style: { "width": 2, "line-style": "dashed", "line-color": "#7e57c2", "target-arrow-color": "#7e57c2" } },
        { selector: ".hl", style: { "border-width": 4, "border-color": "#ffeb3b", "underlay-color": "#ffeb3b",
          "underlay-opacity": 0.6, "underlay-padding": 6, "z-index": 99 } },
        { selector: ".hl-related", style: { "underlay-color": "#ffd54f", "underlay-opacity": 0.45, "underlay-padding": 5 } }
      ]
    });
    cy.on("tap", "node", function (ev) { nodePanel(ev.target); });
    cy.on("dbltap", "node.stack", function (ev) { toggle(ev.target.data("index")); });
    $("g-expand").addEventListener("click", function () { DATA.stacks.forEach(function (s, i) { expanded[i] = true; }); redraw(); });
    $("g-collapse").addEventListener("click", function () { expanded = {}; redraw(); });
    $("g-fit").addEventListener("click", function () { cy.fit(undefined, 20); });
    api.cy = cy;
    redraw();
  }
  function toggle(i) { expanded[i] = !expanded[i]; redraw(); }
  api.toggleStack = function (i) { ensureGraph(); toggle(i); };
  function findingItem(f) {
    var li = el("li", { "data-index": String(f.i) }, [el("span", { cls: "sev " + f.sev, text: f.sev + " " }),
      el("code", { text: f.rule }), " ", el("span", { text: f.msg })]);
    li.addEventListener("click", function () { selectFinding(f.i, true); });
    return li;
  }
  function nodePanel(node) {
    var p = $("node-panel"), d = node.data();
    p.textContent = "";
    var list;
    if (d.kind === "stack") {
      var s = DATA.stacks[d.index];
      p.appendChild(el("h3", { text: s.name }));
      p.appendChild(el("div", { cls: "count", text: "stage " + s.stage + " · " + s.template }));
      var b = el("button", { type: "button", text: expanded[d.index] ? "Collapse" : "Expand" });
      b.addEventListener("click", function () { toggle(d.index); });
      p.appendChild(b);
      list = activeF.filter(function (f) { return f.stack === d.index; });
    } else {
      var n = DATA.nodes[d.index];
      p.appendChild(el("h3", { text: n[3] }));
      p.appendChild(el("div", null, [el("code", { text: n[4] || n[1] })]));
      p.appendChild(el("div", { cls: "count", text: n[2] + " · " + n[1] + " · " + DATA.stacks[n[0]].name }));
      list = byNode[d.index] || [];
    }
    list = list.slice().sort(function (a, b) { return (SEV_RANK[b.sev] - SEV_RANK[a.sev]) || (a.i - b.i); });
    p.appendChild(el("p", { text: list.length + " finding(s)" }));
    var ul = el("ul", { id: "node-findings" });
    list.slice(0, 300).forEach(function (f) { ul.appendChild(findingItem(f)); });
    p.appendChild(ul);
  }
  function selectFinding(i, stay) {
    var f = findings[i];
    Array.prototype.forEach.call(document.querySelectorAll("tr.selected"), function (r) { r.classList.remove("selected"); });
    var tr = document.querySelector("#findings-table tr[data-index='" + i + "']");
    if (tr) tr.classList.add("selected");
    if (!stay) show("assembly"); else ensureGraph();
    if (!cy) return;
    var targets = [f.node].concat(f.related).filter(function (n) { return n >= 0; });
    var changed = false;
    targets.forEach(function (n) {   // open every stack on the way to the resource
      var s = DATA.nodes[n][0];
      while (s >= 0) { if (!expanded[s]) { expanded[s] = true; changed = true; } s = DATA.stacks[s].parent; }
    });
    if (changed) redraw();
    cy.elements().removeClass("hl hl-related");
    var main = f.node >= 0 ? cy.getElementById("n" + f.node) : cy.getElementById("s" + f.stack);
    main.addClass("hl");
    f.related.forEach(function (n) { cy.getElementById("n" + n).addClass("hl-related"); });
    if (main.length) { cy.animate({ center: { eles: main }, zoom: Math.max(cy.zoom(), 0.8) }, { duration: 0 }); nodePanel(main); }
    api.selected = i;
  }
  api.selectFinding = selectFinding;

  overview();
  findingsView();
  if (location.hash === "#assembly") show("assembly");
  api.renderMs = performance.now() - t0;
  api.ready = true;
})();
