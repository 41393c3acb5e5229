"use strict";
// A report: the data is in the page; the step to open at may be in the
// address (#step=N, 1-based; 0 is the start).
(function () {
  const doc = JSON.parse(document.getElementById("qv-data").textContent);
  const viewer = qvViewer(document.getElementById("qv"), { header: true, hash: true, keys: true });
  const m = /^#step=(\d+)$/.exec(location.hash);
  viewer.setDoc(doc, m ? Number(m[1]) - 1 : doc.start);
  window.qoslab = viewer; // for the browser tests and the curious
})();
