// kensa workbench: the only script, served from /assets (CSP: script-src 'self').
// It adds conveniences only; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" checkbox in the findings table.
  document.querySelectorAll("input.select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.closest("form");
      if (!form) return;
      form.querySelectorAll("input[type=checkbox][name=key]").forEach(function (c) { c.checked = box.checked; });
    });
  });
  // Changing a filter drop-down applies the filter.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // Ctrl+Enter runs a hunt query.
  var sql = document.getElementById("sql");
  if (sql) {
    sql.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { document.getElementById("run").click(); }
    });
  }
});
