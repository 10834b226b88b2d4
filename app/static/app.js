// Seatwise UI behaviour. No inline scripts (CSP script-src 'self'): pages carry data in
// <script type="application/json"> blocks and data-* attributes; this file acts on them.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // A path of this site ("/spend?…") under the prefix Seatwise is served at, if any (the
  // server adds it to the page's own links; links carried in JSON get it here).
  function sitePath(path) {
    var meta = document.querySelector('meta[name="seatwise-root"]');
    var root = meta ? meta.getAttribute("content") : "";
    return path.charAt(0) === "/" && path.charAt(1) !== "/" ? root + path : path;
  }

  function renderCharts(root) {
    if (typeof window.Plotly === "undefined") { return; }
    root.querySelectorAll("script.chart-data").forEach(function (block) {
      var target = document.getElementById(block.dataset.target);
      if (!target || target.dataset.rendered) { return; }
      var figure = JSON.parse(block.textContent);
      var layout = Object.assign({ margin: { t: 30, r: 10, b: 40, l: 60 }, height: 280,
        font: { family: "system-ui, sans-serif", size: 12 } }, figure.layout || {});
      window.Plotly.newPlot(target, figure.data || [], layout,
        { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] });
      target.dataset.rendered = "1";
      target.on("plotly_click", function (ev) {
        var point = ev && ev.points && ev.points[0];
        var links = figure.links || {};
        var key = point ? (point.label !== undefined ? point.label : point.x) : null;
        if (key !== null && links[key]) { window.location.href = sitePath(links[key]); }
      });
    });
  }

  function wireSelectAll(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var form = box.closest("form") || document;
        form.querySelectorAll('input[type="checkbox"][name="' + box.dataset.selectAll + '"]')
          .forEach(function (item) { item.checked = box.checked; });
      });
    });
  }

  // A filter form's export link and the address bar follow the filters as they change
  // (htmx swaps the list in place, so the page's own links would keep the first query).
  function syncFilters(form) {
    var query = new URLSearchParams(new FormData(form)).toString();
    form.querySelectorAll("a[data-export]").forEach(function (link) {
      link.href = link.dataset.export + (query ? "?" + query : "");
    });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", form.getAttribute("action") + (query ? "?" + query : ""));
    }
  }

  function wireAutoSubmit(root) {
    root.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () {
        syncFilters(select.form);
        if (!window.htmx) { select.form.submit(); }
      });
    });
  }

  function wireCopy(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        if (source && navigator.clipboard) {
          navigator.clipboard.writeText(source.textContent.trim());
          button.textContent = "Copied";
        }
      });
    });
  }

  function enhance(root) {
    renderCharts(root);
    wireSelectAll(root);
    wireAutoSubmit(root);
    wireCopy(root);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:configRequest", function (ev) {
    ev.detail.headers["X-CSRF-Token"] = csrfToken();
  });
  document.addEventListener("htmx:afterSwap", function (ev) { enhance(ev.detail.target); });
})();
