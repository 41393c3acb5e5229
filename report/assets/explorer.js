"use strict";
// The interactive explorer of simulate serve. The address holds the
// settings and the path (?variant=qos2-b&breaks=1&path=0.0.1); every
// state is fetched from the server as api/state with that query, so a
// reload or a link gives the same state.
(function () {
  const cfg = JSON.parse(document.getElementById("qx-config").textContent);
  const root = document.getElementById("qx");
  const form = qvEl("form", { class: "qx-form", id: "qx-form" });
  const inputs = {};
  for (const f of cfg.fields) {
    let input;
    if (f.kind === "select") {
      input = qvEl("select", { name: f.name });
      for (const o of f.options) input.append(qvEl("option", { value: o, text: o }));
    } else if (f.kind === "bool") {
      input = qvEl("input", { type: "checkbox", name: f.name });
    } else {
      input = qvEl("input", { type: "number", name: f.name, min: "0" });
    }
    inputs[f.name] = input;
    const label = f.kind === "bool" ? qvEl("label", { class: "bool", title: f.usage }, input, f.name)
      : qvEl("label", { title: f.usage }, f.name, input);
    form.append(label);
  }
  form.append(qvEl("button", { type: "submit", id: "qx-start", text: "explore from the start" }));
  const status = qvEl("span", { id: "qx-status" });
  const pathText = qvEl("code", { id: "qx-path" });
  const bar = qvEl("div", { class: "qx-bar" },
    qvEl("button", { id: "qx-back", text: "\u2190 back", title: "undo the last move ([)", onclick: () => back() }),
    qvEl("button", { id: "qx-forward", text: "forward \u2192", title: "redo the move undone (])", onclick: () => forward() }),
    qvEl("button", { id: "qx-find", text: "find a counterexample", title: "run the bounded search and jump to the shortest counterexample", onclick: () => find() }),
    qvEl("span", {}, "path: ", pathText), status);
  const error = qvEl("div", { id: "qx-error" });
  const verdict = qvEl("div", { class: "qv-verdict", id: "qx-verdict" });
  const moves = qvEl("div", { class: "qx-moves", id: "qx-moves" });
  const head = qvEl("header", { class: "qv-head" }, qvEl("h1", { id: "qx-title", text: cfg.title }),
    qvEl("div", { class: "qv-settings", id: "qx-settings" }), verdict);
  const movesBox = qvEl("div", { class: "qv-below" }, qvEl("h2", { id: "qx-moves-title", text: "moves" }), moves);
  const view = qvEl("div", { id: "qx-view" });
  root.append(head, form, bar, error, movesBox, view);
  const viewer = qvViewer(view, { header: false, hash: false, keys: true });
  let redo = []; // moves undone by back, newest last

  const params = () => new URLSearchParams(location.search);
  const pathOf = p => { const s = p.get("path") || ""; return s === "" ? [] : s.split(".").map(Number); };

  function settings(p) {
    const q = new URLSearchParams(p);
    q.delete("path");
    return q;
  }

  function go(path) {
    const q = settings(params());
    if (path.length) q.set("path", path.join("."));
    history.pushState(null, "", "?" + q.toString());
    load();
  }

  function fillForm(p) {
    for (const f of cfg.fields) {
      const v = p.has(f.name) ? p.get(f.name) : f.default;
      if (f.kind === "bool") inputs[f.name].checked = v === "true";
      else inputs[f.name].value = v;
    }
  }

  async function load() {
    const p = params();
    fillForm(p);
    error.textContent = "";
    let resp, data;
    try {
      resp = await fetch("api/state?" + p.toString());
      data = await resp.json();
    } catch (e) {
      error.textContent = "cannot reach simulate serve: " + e;
      return;
    }
    if (!resp.ok) {
      error.textContent = data.error || resp.statusText;
      moves.textContent = "";
      return;
    }
    const d = data.doc;
    d.rows = d.rows || [];
    document.getElementById("qx-settings").textContent = d.title + "; " + d.settings.join("; ");
    verdict.textContent = d.verdict.text;
    verdict.className = "qv-verdict" + (d.verdict.bad ? " bad" : "");
    pathText.textContent = data.path === "" ? "(the initial state)" : data.path;
    pathText.dataset.state = data.state.id;
    viewer.setDoc(d, d.rows.length - 1);
    showMoves(data.moves, d.rows.length);
    document.getElementById("qx-back").disabled = d.rows.length === 0;
    document.getElementById("qx-forward").disabled = redo.length === 0;
  }

  function showMoves(ms, steps) {
    document.getElementById("qx-moves-title").textContent = ms.length
      ? "moves enabled after step " + steps + " (click to take one; keys 1-9)" : "no move is enabled: the exploration ends here";
    moves.textContent = "";
    for (const m of ms) {
      const b = qvEl("button", { class: m.fault ? "fault" : "", "data-move": m.index, onclick: () => take(m.index) },
        (m.index + 1) + ". " + m.text);
      if (m.notes && m.notes.length) b.append(qvEl("span", { class: "notes", text: "  \u2192 " + m.notes.join("; ") }));
      moves.append(b);
    }
  }

  function take(i) {
    redo = [];
    go([...pathOf(params()), i]);
  }

  function back() {
    const path = pathOf(params());
    if (!path.length) return;
    redo.push(path.pop());
    go(path);
  }

  function forward() {
    if (!redo.length) return;
    go([...pathOf(params()), redo.pop()]);
  }

  async function find() {
    status.textContent = "searching\u2026";
    let resp, data;
    try {
      resp = await fetch("api/find?" + settings(params()).toString());
      data = await resp.json();
    } catch (e) {
      status.textContent = "";
      error.textContent = "cannot reach simulate serve: " + e;
      return;
    }
    if (!resp.ok) {
      status.textContent = "";
      error.textContent = data.error || resp.statusText;
      return;
    }
    status.textContent = data.text + " (" + data.states + " states)";
    if (data.path !== null) {
      redo = [];
      go(data.path === "" ? [] : data.path.split(".").map(Number));
    }
  }

  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const f of cfg.fields) {
      const input = inputs[f.name];
      const v = f.kind === "bool" ? String(input.checked) : input.value;
      if (v !== f.default) q.set(f.name, v);
    }
    redo = [];
    status.textContent = "";
    history.pushState(null, "", "?" + q.toString());
    load();
  });
  document.addEventListener("keydown", ev => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey || (t && (t.tagName === "INPUT" || t.tagName === "SELECT"))) return;
    if (ev.key === "[") back();
    else if (ev.key === "]") forward();
    else if (/^[1-9]$/.test(ev.key)) {
      const b = moves.querySelector('[data-move="' + (Number(ev.key) - 1) + '"]');
      if (b) b.click();
    }
  });
  window.addEventListener("popstate", () => { redo = []; load(); });
  window.qoslab = { viewer, load, take, back, forward, find };
  load();
})();
