"use strict";
// A conformance page: each run's real transcript beside the model's, and
// for a matrix the table of verdicts, whose cells open their runs. The run
// and the step to open may be in the address: #run=N&step=M (1-based; step
// 0 is the start), or #step=M on a page of one run.
(function () {
  const page = JSON.parse(document.getElementById("qv-data").textContent);
  const root = document.getElementById("qv");
  const many = page.runs.length > 1;
  let cur = Math.max(0, page.open);
  const top = qvEl("div", { id: "qc-top" });
  const box = qvEl("div", { id: "qc-run" });
  root.append(top, box);
  const viewer = qvViewer(box, { header: true, hash: true, keys: true, hashPrefix: () => many ? "run=" + (cur + 1) + "&" : "" });
  const cells = [];
  if (many) {
    const head = qvEl("header", { class: "qv-head" }, qvEl("h1", { text: page.title }));
    for (const s of page.settings || []) head.append(qvEl("div", { class: "qv-settings", text: s }));
    if (page.verdict) head.append(qvEl("div", { class: "qv-verdict" + (page.verdict.bad ? " bad" : ""), id: "qc-verdict", text: page.verdict.text }));
    const table = qvEl("table", { class: "qc-matrix", id: "qc-matrix" });
    const tr = qvEl("tr", {}, qvEl("th", { text: "case" }));
    for (const c of page.columns) tr.append(qvEl("th", { text: c }));
    table.append(tr);
    for (const row of page.rows) {
      const r = qvEl("tr", {}, qvEl("th", { text: row.case }));
      for (const c of row.cells) {
        if (c.run < 0) { r.append(qvEl("td", { text: c.text })); continue; }
        const b = qvEl("button", { class: c.class || "", "data-run": String(c.run), text: c.text, title: "open this run", onclick: () => open(c.run) });
        cells[c.run] = b;
        r.append(qvEl("td", {}, b));
      }
      table.append(r);
    }
    top.append(head, qvEl("div", { class: "qc-wrap" }, table, qvEl("div", { class: "qc-legend", text: page.legend + ". A cell opens its run below." })));
  }

  function open(i, step) {
    if (!(i >= 0 && i < page.runs.length)) return;
    if (cells[cur]) cells[cur].classList.remove("open");
    cur = i;
    if (cells[cur]) cells[cur].classList.add("open");
    viewer.setDoc(page.runs[i], step);
  }

  const m = /^#(?:run=(\d+)&)?step=(\d+)$/.exec(location.hash);
  const run = m && m[1] ? Number(m[1]) - 1 : cur;
  open(run >= 0 && run < page.runs.length ? run : cur, m ? Number(m[2]) - 1 : undefined);
  window.qoslab = viewer; // for the browser tests and the curious
  window.qoslabPage = { open, get run() { return cur; } };
})();
