"use strict";
// The qoslab viewer: draws a report.Doc (report/report.go) as a sequence
// diagram in SVG and shows, for the selected step, every endpoint's state,
// the packets in flight and the faults still to come. Only the rows on
// screen are drawn, so that a trace of tens of thousands of events scrolls
// and steps at once. A comparison (doc.sides: a real run beside the
// model's) draws each side's nodes apart, both events of a row, and the
// divergences on their rows.

const QV = { SPAN: 64, COL: 220, TIME: 64, PAD: 40, NOTE: 6.6, NOTEMAX: 34, SIDECOL: 160, SIDETIME: 56, SIDEPAD: 24, SIDENOTEMAX: 22 };

// qvClass is a divergence class's style name and rank (worst highest).
const QV_CLASSES = { consequence: 1, permitted: 2, protocol: 3, delivery: 4 };
function qvClass(c) { return String(c).split(" ")[0]; }

function qvEsc(s) {
  return String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function qvEl(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

// qvViewer builds the viewer in root. opts.header: show the title, the
// verdict and the sections below (a report); opts.hash: keep the step in
// the address (#step=N, after opts.hashPrefix() if given); opts.keys:
// answer the keyboard.
function qvViewer(root, opts) {
  const v = { doc: null, cur: -1, byEp: [], panels: [], faultRows: [], row: 26 };
  root.textContent = "";
  const head = qvEl("header", { class: "qv-head" });
  const btn = (id, text, title, fn) => qvEl("button", { id, title, text, onclick: fn });
  const slider = qvEl("input", { id: "qv-slider", type: "range", min: "-1", max: "0", value: "-1", "aria-label": "step" });
  slider.addEventListener("input", () => go(Number(slider.value)));
  const controls = qvEl("div", { class: "qv-controls" },
    btn("qv-first", "\u00ab start", "to the start (Home)", () => go(-1)),
    btn("qv-prev", "\u25c0 prev", "previous step (\u2190)", () => go(v.cur - 1)),
    btn("qv-next", "next \u25b6", "next step (\u2192)", () => go(v.cur + 1)),
    btn("qv-last", "end \u00bb", "to the last step (End)", () => go(v.doc.rows.length - 1)),
    btn("qv-prevfault", "\u25c0 fault", "previous fault (shift+F)", () => jumpFault(-1)),
    btn("qv-nextfault", "fault \u25b6", "next fault (F)", () => jumpFault(1)),
    btn("qv-mark", "violation", "the step that shows the violation (V)", () => jumpMark()),
    slider,
    qvEl("span", { id: "qv-pos" }),
    qvEl("span", { class: "qv-keys", text: "keys: \u2190 \u2192 Home End PgUp PgDn F V" }));
  const heads = qvEl("div", { class: "qv-heads" });
  const scroll = qvEl("div", { class: "qv-scroll", id: "qv-scroll" });
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.id = "qv-svg";
  scroll.append(svg);
  const side = qvEl("aside", { class: "qv-side", id: "qv-side" });
  const below = qvEl("section", { class: "qv-below" });
  const main = qvEl("div", { class: "qv-main" }, qvEl("div", { class: "qv-diagram" }, heads, scroll), side);
  if (opts.header) root.append(head);
  root.append(controls, main);
  if (opts.header) root.append(below);

  let frame = 0;
  scroll.addEventListener("scroll", () => {
    heads.scrollLeft = scroll.scrollLeft;
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); });
  });
  svg.addEventListener("click", ev => {
    const r = Math.floor((ev.clientY - svg.getBoundingClientRect().top) / v.row);
    if (r >= 0 && r < v.doc.rows.length) go(r);
  });
  if (opts.keys) {
    document.addEventListener("keydown", ev => {
      const t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (t && (t.tagName === "INPUT" && t.type !== "range" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
      const k = ev.key;
      const n = v.doc.rows.length;
      const moves = {
        ArrowRight: () => go(v.cur + 1), ArrowDown: () => go(v.cur + 1), j: () => go(v.cur + 1),
        ArrowLeft: () => go(v.cur - 1), ArrowUp: () => go(v.cur - 1), k: () => go(v.cur - 1),
        Home: () => go(-1), End: () => go(n - 1), PageDown: () => go(v.cur + 20), PageUp: () => go(v.cur - 20),
        f: () => jumpFault(1), F: () => jumpFault(-1), v: () => jumpMark(),
      };
      if (moves[k]) { ev.preventDefault(); moves[k](); }
    });
  }

  const x = i => v.xs[i];
  const y = r => r * v.row + v.row / 2;
  // A row's packet labels are grouped by the row and, in a comparison,
  // the side that sent them.
  const labelKey = a => v.sides ? a.s + "/" + v.sideOf[a.a] : a.s;
  const rowText = r => r.k ? r.x : (r.m ? "model: " + r.m.x : "");

  // place puts the nodes: one column each, and in a comparison each
  // side after the notes of the one before, with its own time column.
  function place(doc) {
    v.sides = doc.sides && doc.sides.length ? doc.sides : null;
    v.noteMax = v.sides ? QV.SIDENOTEMAX : QV.NOTEMAX;
    v.xs = [];
    v.sideOf = [];
    v.tx = [8];
    v.dividers = [];
    if (!v.sides) {
      // At least one column: a page without nodes (a proof) still has
      // its text column after the first.
      for (let i = 0; i < Math.max(doc.nodes.length, 1); i++) { v.xs.push(QV.TIME + QV.PAD + i * QV.COL); v.sideOf.push(0); }
      return;
    }
    let pos = QV.SIDETIME + QV.SIDEPAD;
    v.sides.forEach((s, si) => {
      if (si > 0) {
        const div = pos - QV.SIDECOL + v.noteMax * QV.NOTE + 20;
        v.dividers.push(div);
        v.tx.push(div + 8);
        pos = div + QV.SIDETIME + QV.SIDEPAD;
      }
      for (let j = 0; j < s.nodes; j++) {
        v.xs.push(pos);
        v.sideOf.push(si);
        pos += QV.SIDECOL;
      }
    });
  }

  function setDoc(doc, step) {
    for (const k of ["rows", "arrows", "endpoints", "states", "nodes"]) doc[k] = doc[k] || [];
    // A written page names each distinct state line once (pageDoc in
    // html.go). Expanded once: a conformance page reopens its runs.
    if (doc.lines) {
      for (const s of doc.states) {
        if (s.pi) s.p = s.pi.map((i) => doc.lines[i]);
        if (s.ti) s.t = s.ti.map((i) => doc.lines[i]);
        if (s.ci) s.c = doc.lines[s.ci - 1];
      }
      doc.lines = null;
    }
    v.doc = doc;
    // An exploration's few steps get room for the labels of the packets
    // one move sends; a trace has one event a row.
    v.row = doc.kind === "explore" ? 36 : 26;
    const n = doc.rows.length;
    v.byEp = doc.endpoints.map(() => []);
    for (const s of doc.states) v.byEp[s.ep].push(s);
    v.faultRows = [];
    doc.rows.forEach((r, i) => { if (r.f || (r.m && r.m.f)) v.faultRows.push(i); });
    v.marks = doc.marks || [];
    place(doc);
    main.classList.toggle("sides", !!v.sides);
    // Divergences by row, and the worst class of each row.
    v.divsAt = new Map();
    v.markClass = new Map();
    for (const d of doc.divergences || []) {
      const ds = v.divsAt.get(d.row) || [];
      ds.push(d);
      v.divsAt.set(d.row, ds);
      const c = qvClass(d.class), was = v.markClass.get(d.row);
      if (!was || QV_CLASSES[c] > QV_CLASSES[was]) v.markClass.set(d.row, c);
    }
    v.textX = x(Math.max(doc.nodes.length - 1, 0)) + v.noteMax * QV.NOTE + 24; // past the notes of the last node
    // Labels: one per distinct packet sent at a row; where a row sends
    // several, each sits at its own point along its arrow.
    const labels = new Map();
    for (const a of doc.arrows) {
      const ls = labels.get(labelKey(a)) || [];
      if (!ls.includes(a.l)) ls.push(a.l);
      labels.set(labelKey(a), ls);
    }
    v.labels = labels;
    // Arrows are sorted by the row that sent them. Most end within a few
    // rows: those a window of rows needs are found by a binary search; the
    // few long ones (packets in flight at the end, long delays) are always
    // looked at.
    v.short = doc.arrows.filter(a => a.e - a.s <= QV.SPAN);
    v.long = doc.arrows.filter(a => a.e - a.s > QV.SPAN);
    v.width = v.textX + 640;
    svg.setAttribute("width", v.width);
    svg.setAttribute("height", (n + 1) * v.row);
    heads.textContent = "";
    heads.style.width = v.width + "px";
    if (v.sides) {
      heads.classList.add("sides");
      let first = 0;
      v.sides.forEach((s, si) => {
        heads.append(qvEl("span", { class: "side", style: "left:" + (v.tx[si] - 4) + "px", text: s.title }));
        heads.append(qvEl("span", { class: "node", style: "left:" + (v.tx[si] + 8) + "px", text: doc.timeLabel }));
        for (let j = first; j < first + s.nodes; j++) heads.append(qvEl("span", { class: "node", style: "left:" + x(j) + "px", text: doc.nodes[j] }));
        first += s.nodes;
      });
    } else {
      heads.classList.remove("sides");
      doc.nodes.forEach((name, i) => heads.append(qvEl("span", { style: "left:" + x(i) + "px", text: name })));
      heads.append(qvEl("span", { style: "left:" + (QV.TIME / 2) + "px", text: doc.timeLabel }));
    }
    slider.max = String(n - 1);
    const markBtn = document.getElementById("qv-mark");
    markBtn.hidden = v.marks.length === 0;
    markBtn.textContent = doc.divergences ? "divergence" : "violation";
    markBtn.title = doc.divergences ? "the next divergence (V)" : "the step that shows the violation (V)";
    if (opts.header) fillHeader(doc);
    go(step === undefined ? doc.start : step, true);
  }

  function fillHeader(doc) {
    head.textContent = "";
    head.append(qvEl("h1", { text: doc.title }));
    for (const s of doc.settings || []) head.append(qvEl("div", { class: "qv-settings", text: s }));
    if (doc.verdict) head.append(qvEl("div", { class: "qv-verdict" + (doc.verdict.bad ? " bad" : ""), id: "qv-verdict", text: doc.verdict.text }));
    below.textContent = "";
    if (doc.replay) {
      const pre = qvEl("pre", { id: "qv-replay", text: doc.replay });
      const copy = qvEl("button", { text: "copy", onclick: () => {
        if (navigator.clipboard) navigator.clipboard.writeText(doc.replay).catch(() => {});
      } });
      below.append(qvEl("h2", { text: "replay" }), qvEl("div", { class: "qv-replay" }, pre, copy));
      if (doc.replayNote) below.append(qvEl("div", { class: "qv-settings", text: doc.replayNote }));
    }
    if (doc.metrics && doc.metrics.length) {
      const tb = qvEl("table", { id: "qv-metrics" });
      for (const m of doc.metrics) tb.append(qvEl("tr", {}, qvEl("td", { text: m.name }), qvEl("td", { text: m.value })));
      below.append(qvEl("h2", { text: "metrics" }), tb);
    }
    for (const s of doc.sections || []) {
      below.append(qvEl("h2", { text: s.title }));
      if (s.code) below.append(qvEl("pre", { class: s.bad ? "bad" : "", text: s.lines.join("\n") }));
      else for (const l of s.lines) below.append(qvEl("div", { text: l }));
    }
    controls.hidden = !doc.rows.length;
  }

  function go(k, force) {
    const n = v.doc.rows.length;
    if (!Number.isFinite(k)) return;
    k = Math.max(-1, Math.min(n - 1, k));
    if (k === v.cur && !force) return;
    v.cur = k;
    slider.value = String(k);
    document.getElementById("qv-pos").textContent = k < 0 ? "start (" + n + " steps)" : "step " + (k + 1) + " of " + n;
    const top = k < 0 ? 0 : y(k) - v.row;
    if (top < scroll.scrollTop || top + 2 * v.row > scroll.scrollTop + scroll.clientHeight) {
      scroll.scrollTop = Math.max(0, top - scroll.clientHeight / 2);
    }
    draw();
    panel();
    if (opts.hash) history.replaceState(null, "", "#" + (opts.hashPrefix ? opts.hashPrefix() : "") + "step=" + (k + 1));
    document.getElementById("qv-prev").disabled = k < 0;
    document.getElementById("qv-first").disabled = k < 0;
    document.getElementById("qv-next").disabled = k >= n - 1;
    document.getElementById("qv-last").disabled = k >= n - 1;
  }

  function jumpFault(dir) {
    const rows = v.faultRows;
    if (dir > 0) { const r = rows.find(r => r > v.cur); if (r !== undefined) go(r); }
    else { const r = rows.filter(r => r < v.cur).pop(); if (r !== undefined) go(r); }
  }

  function jumpMark() {
    if (!v.marks.length) return;
    const r = v.marks.find(r => r > v.cur);
    go(r !== undefined ? r : v.marks[0]);
  }

  // draw renders the rows on screen, and some around them. A step within
  // the rows drawn only moves the highlight (see mark).
  function draw() {
    const doc = v.doc, n = doc.rows.length;
    const r0 = Math.max(0, Math.floor(scroll.scrollTop / v.row) - 10);
    const r1 = Math.min(n, Math.ceil((scroll.scrollTop + scroll.clientHeight) / v.row) + 10);
    if (v.drawn && v.drawn.doc === doc && v.drawn.r0 === r0 && v.drawn.r1 === r1) {
      mark();
      return;
    }
    v.drawn = { doc, r0, r1 };
    const p = [];
    const marks = new Set(v.marks);
    for (let r = r0; r < r1; r++) {
      const mc = v.markClass.get(r);
      if (marks.has(r)) p.push(`<rect class="rowmark${mc ? " " + mc : ""}" x="0" y="${r * v.row}" width="${v.width}" height="${v.row}"/>`);
    }
    p.push(`<rect class="rowcur" id="qv-cur" x="0" y="-100" width="${v.width}" height="${v.row}"/>`);
    const yTop = r0 * v.row, yBot = Math.max(r1, r0 + 1) * v.row + v.row;
    for (const dx of v.dividers) p.push(`<line class="divider" x1="${dx}" y1="${yTop}" x2="${dx}" y2="${yBot}"/>`);
    doc.nodes.forEach((_, i) => p.push(`<line class="life" x1="${x(i)}" y1="${yTop}" x2="${x(i)}" y2="${yBot}"/>`));
    for (const a of arrowsAround(r0, r1)) p.push(arrow(a));
    for (let r = r0; r < r1; r++) p.push(v.sides ? rowSides(doc.rows[r], r) : row(doc.rows[r], r));
    svg.innerHTML = p.join("");
    mark();
  }

  // mark highlights the current row, the arrows that start or end there
  // and those in flight across it.
  function mark() {
    const k = v.cur;
    const cur = svg.querySelector("#qv-cur");
    cur.setAttribute("y", k >= 0 ? String(k * v.row) : "-100");
    const old = svg.querySelector("g.row.cur");
    if (old) old.classList.remove("cur");
    const now = svg.querySelector(`g.row[data-row="${k}"]`);
    if (now) now.classList.add("cur");
    for (const g of svg.querySelectorAll("g.arr")) {
      const s = Number(g.dataset.s), e = Number(g.dataset.e);
      const hot = s === k || e === k;
      g.classList.toggle("hot", hot);
      g.classList.toggle("inflight", !hot && s <= k && k < e);
    }
  }

  function arrow(a) {
    const x1 = x(a.a), y1 = y(a.s), x2 = x(a.b);
    const y2 = a.z === "flight" ? (v.doc.rows.length + 0.5) * v.row : y(a.e);
    const cls = "arrow " + a.z, hcls = "head";
    const q = [];
    let xe = x2, ye = y2;
    if (a.z === "lost") { xe = x1 + (x2 - x1) * 0.62; }
    if (a.z === "flight") { xe = x1 + (x2 - x1) * 0.5; }
    q.push(`<line class="${cls}" x1="${x1}" y1="${y1}" x2="${xe}" y2="${ye}"/>`);
    if (a.z === "lost") {
      q.push(`<path class="x" d="M${xe - 5} ${ye - 5}L${xe + 5} ${ye + 5}M${xe - 5} ${ye + 5}L${xe + 5} ${ye - 5}"/>`);
    } else if (a.z === "recv") {
      const ang = Math.atan2(y2 - y1, x2 - x1), L = 9, W = 4.5;
      const bx = x2 - L * Math.cos(ang), by = y2 - L * Math.sin(ang);
      const px = -Math.sin(ang) * W, py = Math.cos(ang) * W;
      q.push(`<path class="${hcls}" d="M${x2} ${y2}L${bx + px} ${by + py}L${bx - px} ${by - py}Z"/>`);
    }
    // A packet is labelled on the row that sent it, between the nodes;
    // where a row sent several, at its own point along each arrow.
    const ls = v.labels.get(labelKey(a)), j = ls.indexOf(a.l);
    let lx = (x1 + x2) / 2, ly = y1 - 4;
    if (ls.length > 1) {
      const f = (j + 1) / (ls.length + 1);
      lx = x1 + (xe - x1) * f;
      ly = y1 + (ye - y1) * f - 4;
    }
    const w = a.l.length * QV.NOTE + 6;
    q.push(`<rect class="lblbg" x="${lx - w / 2}" y="${ly - 11}" width="${w}" height="14" rx="2"/>`);
    q.push(`<text class="lbl" x="${lx}" y="${ly}" text-anchor="middle">${qvEsc(a.l)}</text>`);
    return `<g class="arr" data-s="${a.s}" data-e="${a.e}">${q.join("")}</g>`;
  }

  function row(r, i) {
    const q = [];
    const yy = y(i);
    q.push(`<text class="t" x="8" y="${yy + 4}">${r.t}</text>`);
    const text = r.x.length > 96 ? r.x.slice(0, 95) + "\u2026" : r.x;
    q.push(`<text class="rowtext" x="${v.textX}" y="${yy + 4}">${qvEsc(text)}</text>`);
    glyphs(q, r, yy);
    q.push(`<rect class="rowhit" x="0" y="${i * v.row}" width="${v.width}" height="${v.row}"/>`);
    return `<g class="row" data-row="${i}">${q.join("")}</g>`;
  }

  // rowSides draws a comparison's row: each side's time and event, a
  // sign where the two correspond but differ, and the divergences shown
  // there: a badge each between the time and the first node, and their
  // names at the end.
  function rowSides(r, i) {
    const q = [];
    const yy = y(i);
    if (r.k) q.push(`<text class="t" x="${v.tx[0]}" y="${yy + 4}">${r.t}</text>`);
    if (r.m && r.m.k) q.push(`<text class="t" x="${v.tx[1]}" y="${yy + 4}">${r.m.t}</text>`);
    if (r.df && v.dividers.length) q.push(`<text class="differs" x="${v.dividers[0]}" y="${yy + 5}" text-anchor="middle">\u2260</text>`);
    if (r.k) glyphs(q, r, yy);
    if (r.m) glyphs(q, r.m, yy);
    const ds = v.divsAt.get(i);
    if (ds) {
      ds.forEach((d, k) => {
        const c = v.tx[0] + 26 + 30 * k, cls = qvClass(d.class);
        q.push(`<g class="badge ${cls}" data-n="${d.n}"><rect x="${c}" y="${yy - 9}" width="28" height="18" rx="9"/><text x="${c + 14}" y="${yy + 4}" text-anchor="middle">!${d.n}</text></g>`);
      });
      const text = ds.map(d => "!" + d.n + " " + d.class + (d.statement ? " [" + d.statement + "]" : "")).join("; ");
      q.push(`<text class="divlabel ${v.markClass.get(i)}" x="${v.textX}" y="${yy + 4}">${qvEsc(text)}</text>`);
    }
    q.push(`<rect class="rowhit" x="0" y="${i * v.row}" width="${v.width}" height="${v.row}"/>`);
    return `<g class="row" data-row="${i}">${q.join("")}</g>`;
  }

  // glyphs draws an event's marks on the lifelines: a break's zigzag, a
  // connection's line, a crash's cross, and its note beside its node.
  function glyphs(q, r, yy) {
    if (r.k === "break" && r.n >= 0 && r.p >= 0) {
      const a = Math.min(x(r.n), x(r.p)), b = Math.max(x(r.n), x(r.p));
      let d = `M${a} ${yy}`;
      for (let xx = a + 8, up = true; xx <= b; xx += 8, up = !up) d += `L${xx} ${yy + (up ? -4 : 4)}`;
      q.push(`<path class="break" d="${d}"/>`);
    } else if (r.k === "connect" && r.n >= 0 && r.p >= 0) {
      q.push(`<line class="connect" x1="${x(r.n)}" y1="${yy}" x2="${x(r.p)}" y2="${yy}"/>`);
    } else if (r.k === "crash" && r.n >= 0) {
      const c = x(r.n);
      q.push(`<path class="x" d="M${c - 7} ${yy - 7}L${c + 7} ${yy + 7}M${c - 7} ${yy + 7}L${c + 7} ${yy - 7}"/>`);
    }
    if (r.o && r.k !== "lost") {
      const c = r.n >= 0 ? x(r.n) : x(0);
      const w = Math.min(r.o.length, v.noteMax) * QV.NOTE + 10;
      const nx = c + 10;
      const kind = r.f ? "fault" : ({ deliver: "deliver", complete: "complete", abandon: "abandon" }[r.k] || "");
      const text = r.o.length > v.noteMax ? r.o.slice(0, v.noteMax - 1) + "\u2026" : r.o;
      q.push(`<rect class="notebg ${kind}" x="${nx}" y="${yy - 9}" width="${w}" height="18" rx="4"/>`);
      q.push(`<text class="note" x="${nx + 5}" y="${yy + 4}">${qvEsc(text)}</text>`);
    }
  }

  // arrowsAround are the arrows that cross rows r0..r1-1, in send order.
  function arrowsAround(r0, r1) {
    const out = [], sh = v.short;
    let lo = 0, hi = sh.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sh[mid].s < r0 - QV.SPAN) lo = mid + 1; else hi = mid; }
    for (let i = lo; i < sh.length && sh[i].s < r1; i++) if (sh[i].e >= r0) out.push(sh[i]);
    for (const a of v.long) if (a.s < r1 && a.e >= r0) out.push(a);
    return out.sort((a, b) => a.s - b.s);
  }

  // stateAt is the last entry of list with at <= k.
  function stateAt(list, k) {
    let lo = 0, hi = list.length - 1, best = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].at <= k) { best = list[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }

  function list(items, empty) {
    if (!items || !items.length) return qvEl("div", { class: "qv-none", text: empty });
    const ul = qvEl("ul");
    for (const it of items) ul.append(qvEl("li", { text: it }));
    return ul;
  }

  function panel() {
    const doc = v.doc, k = v.cur, n = doc.rows.length;
    side.textContent = "";
    if (k >= 0 && v.sides) {
      sidesEvent(doc.rows[k], k);
    } else if (k >= 0) {
      const r = doc.rows[k];
      side.append(qvEl("div", { class: "qv-settings", text: (doc.timeLabel === "t" ? "t=" : "step ") + r.t }),
        qvEl("div", { id: "qv-event", class: r.f ? "qv-bad" : "", text: r.x }));
    } else {
      side.append(qvEl("div", { id: "qv-event", text: n ? "the start: nothing has happened yet" : "the initial state" }));
    }
    side.append(qvEl("h3", { text: "endpoints" }));
    doc.endpoints.forEach((e, i) => {
      const s = stateAt(v.byEp[i], k);
      const card = qvEl("div", { class: "qv-ep" + (s && s.at === k && k >= 0 ? " changed" : ""), "data-ep": e.name });
      card.append(qvEl("div", { class: "name", text: e.name }));
      if (s) {
        if (s.c) card.append(qvEl("div", { class: "conn", text: s.c }));
        // A real implementation's state is not known (h is -1): its card
        // lists what its application saw.
        if (s.h >= 0) card.append(qvEl("div", { class: "held", text: "holds " + s.h + " id(s)/message(s) for received messages" }));
        card.append(list(s.p, s.h >= 0 ? "nothing pending" : "nothing seen yet"));
        if (s.t && s.t.length) card.append(qvEl("div", { class: "conn", text: "timers: " + s.t.join(", ") }));
      } else {
        card.append(qvEl("div", { class: "qv-none", text: "no state recorded" }));
      }
      side.append(card);
    });
    const flying = [];
    for (const a of arrowsAround(k, k + 1)) {
      if (a.s <= k && k < a.e) flying.push(doc.nodes[a.a] + " \u2192 " + doc.nodes[a.b] + ": " + a.l + " (sent at step " + (a.s + 1) + ")");
    }
    // A transcript's frames arrive as they are released: nothing flies.
    if (!v.sides) side.append(qvEl("h3", { text: "in flight" }), qvEl("div", { id: "qv-flight" }, list(flying, "nothing in flight")));
    for (const p of doc.panels || []) {
      const c = stateAt(p.changes, k);
      side.append(qvEl("h3", { text: p.title }), list(c ? c.lines : [], "none"));
    }
    const ahead = v.faultRows.filter(r => r > k);
    const lines = ahead.slice(0, 6).map(r => "step " + (r + 1) + ": " + rowText(doc.rows[r]));
    if (ahead.length > 6) lines.push("\u2026 and " + (ahead.length - 6) + " more");
    if (v.faultRows.length) side.append(qvEl("h3", { text: "faults still to come " + (doc.kind === "explore" ? "on this path" : "in this run") }), qvEl("div", { id: "qv-ahead" }, list(lines, "none")));
  }

  // sidesEvent shows a comparison's step: the real event and the
  // model's, and the divergences there, each with its class, the
  // statement involved, what the node did and what the model would do.
  function sidesEvent(r, k) {
    const m = r.m && r.m.k ? r.m : null;
    side.append(qvEl("div", { class: "qv-settings", text: "real t=" + (r.k ? r.t : "\u2014") + " \u00b7 model t=" + (m ? m.t : "\u2014") }),
      qvEl("div", { class: "qv-sidelabel", text: "real" }),
      qvEl("div", { id: "qv-event", class: r.f ? "qv-bad" : "", text: r.k ? r.x : "(no real step here)" }),
      qvEl("div", { class: "qv-sidelabel", text: "model" }),
      qvEl("div", { id: "qv-event-model", class: m && m.f ? "qv-bad" : "", text: m ? m.x : "(no model step here)" }));
    if (r.df) side.append(qvEl("div", { class: "qv-settings", text: "\u2260 the two steps correspond but differ in detail" }));
    const ds = v.divsAt.get(k);
    if (!ds) return;
    const box = qvEl("div", { id: "qv-divs" });
    for (const d of ds) {
      const c = qvClass(d.class);
      box.append(qvEl("div", { class: "qv-div " + c, "data-n": String(d.n) },
        qvEl("div", { class: "head", text: "!" + d.n + " " + d.class + (d.statement ? " [" + d.statement + "]" : "") }),
        qvEl("div", { text: d.node + " " + d.did }),
        qvEl("div", { class: "model", text: "model: " + d.model }),
        d.why ? qvEl("div", { class: "why", text: d.why }) : null,
        c === "permitted" ? qvEl("div", { class: "why", text: "the specification permits it: not a failure" }) : null,
        d.followsFrom ? qvEl("div", { class: "why", text: "follows from !" + d.followsFrom }) : null));
    }
    side.append(qvEl("h3", { text: ds.length > 1 ? "divergences at this step" : "divergence at this step" }), box);
  }

  return { setDoc, go, get cur() { return v.cur; } };
}
