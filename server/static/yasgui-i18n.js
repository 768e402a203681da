/* plankg query page: YASGUI's own strings in the page's language (zh-Hant).
 *
 * YASGUI has no language option (server/ui/i18n_yasgui.py lists what is translated and how):
 * DataTables takes its texts through the `language` option that YASR's table plugin passes on;
 * the result count is rewritten after YASR writes it; every other label, title, aria-label or
 * placeholder that YASGUI writes in English is replaced by its translation, found by its English
 * text, when it appears (never in the results' cells or column names, nor in the editor).
 * Loaded after yasgui.min.js and before query.js; in English the page gives no strings and
 * this does nothing.
 */
(function () {
  "use strict";
  var L = JSON.parse(document.getElementById("plankg-config").textContent).i18n;
  var root = document.getElementById("yasgui");
  if (!root || !window.Yasgui || !L || !L.dataTables) { return; }
  var strings = L.strings;
  var Yasr = window.Yasgui.Yasr;
  var ATTRIBUTES = ["title", "aria-label", "placeholder"];
  var NOT_YASGUI = ".dataTable tbody, .dataTable thead, .CodeMirror, pre, .tab a > span";  // data, queries, tab names

  function tr(s) { return Object.prototype.hasOwnProperty.call(strings, s) ? strings[s] : s; }
  function fill(template, name, value) { return template.replace("{" + name + "}", value); }

  // DataTables: "Showing 1 to 3 of 3 entries", "No data available in table", the pager.
  var table = Yasr.plugins.table;
  if (table) {
    var config = table.defaults.tableConfig;
    config.language = Object.assign({}, config.language, L.dataTables);
  }

  // "23 results in 0.08 seconds"
  var responseInfo = Yasr.prototype.updateResponseInfo;
  Yasr.prototype.updateResponseInfo = function () {
    responseInfo.apply(this, arguments);
    if (!this.results || !this.dataElement) { return; }
    var bindings = this.results.getBindings(), ms = this.results.getResponseTime(), text = "";
    if (bindings) { text = fill(tr(bindings.length === 1 ? "{n} result" : "{n} results"), "n", bindings.length); }
    if (ms) {
      var s = ms / 1000, unit = s === 1 ? " in {s} second" : " in {s} seconds";
      text = text ? text + fill(tr(unit), "s", s) : fill(tr("Response" + unit), "s", s);
    }
    this.dataElement.innerText = text;
  };

  // Everything else, by its English text, as YASGUI adds it.
  function translate(el) {
    if (el.nodeType === Node.TEXT_NODE) {
      var parent = el.parentElement;
      if (parent && !parent.closest(NOT_YASGUI)) {
        var text = el.nodeValue, to = tr(text);
        if (to !== text) { el.nodeValue = to; }
      }
      return;
    }
    if (el.nodeType !== Node.ELEMENT_NODE || el.closest(NOT_YASGUI)) { return; }
    ATTRIBUTES.forEach(function (name) {
      var value = el.getAttribute(name);
      if (value !== null && tr(value) !== value) { el.setAttribute(name, tr(value)); }
    });
  }
  function translateTree(node) {
    translate(node);
    if (node.nodeType !== Node.ELEMENT_NODE || node.closest(NOT_YASGUI)) { return; }
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) { translate(walker.currentNode); }
  }
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "childList") { r.addedNodes.forEach(translateTree); } else { translate(r.target); }
    });
  }).observe(root, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES });
})();
