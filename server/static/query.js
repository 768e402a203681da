/* plankg query page: YASGUI on our own /sparql, example queries, share and download links.
 *
 * Everything is same-origin: YASGUI's files come from /assets/yasgui/, the endpoint is /sparql,
 * and the autocompleters that would call external services (LOV, prefix.cc) are turned off.
 * `/query?query=…&title=…` opens that query in a tab (reusing a tab with the same query) and
 * runs it, so every query is shareable as a plain link.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("plankg-config").textContent);
  var root = document.getElementById("yasgui");
  if (!root || !window.Yasgui) { return; }
  var Yasgui = window.Yasgui;
  var endpoint = new URL(cfg.endpoint, window.location.href).href;

  // No network beyond our server: only local autocompleters.
  Yasgui.Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  // Results in the simple view (plain values, no datatypes) and not cut short.
  var tabDefaults = Yasgui.Tab.getDefaults;
  Yasgui.Tab.getDefaults = function (y) {
    var d = tabDefaults(y);
    d.yasr.settings.pluginsConfig = { table: { compact: true, isEllipsed: false } };
    return d;
  };
  // YASGUI's own share button gives our /query?query=… link.
  Yasgui.Tab.prototype.getShareableLink = function () { return shareUrl(this.getQuery(), this.getName()); };

  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    copyEndpointOnNewTab: true,
    populateFromUrl: false,
    persistenceId: "plankg-query",
    tabName: cfg.tabName,
    yasqe: { value: cfg.starter, resizeable: true, editorHeight: "320px" }
  });
  Object.keys(yasgui._tabs).forEach(function (id) {  // tabs remembered from another endpoint
    var tab = yasgui._tabs[id];
    if (tab.getEndpoint() !== endpoint) { tab.setEndpoint(endpoint); }
  });

  function shareUrl(query, title) {
    var url = new URL(cfg.page, window.location.href);
    url.searchParams.set("query", query);
    if (title && title !== cfg.tabName && !/^\S+ \d+$/.test(title)) { url.searchParams.set("title", title); }
    return url.href;
  }

  function queryType(tab) {
    var yasqe = tab.getYasqe();
    return yasqe ? String(yasqe.getQueryType() || "SELECT").toUpperCase() : "SELECT";
  }

  function refreshLinks() {
    var tab = yasgui.getTab();
    if (!tab || !tab.getYasqe()) { return; }
    var query = tab.getQuery();
    var share = shareUrl(query, tab.getName());
    document.getElementById("share-url").value = share;
    document.getElementById("share-link").href = share;
    var graph = ["CONSTRUCT", "DESCRIBE"].indexOf(queryType(tab)) >= 0;
    var box = document.getElementById("downloads");
    box.textContent = "";
    (graph ? cfg.graphFormats : cfg.resultFormats).forEach(function (f) {
      var a = document.createElement("a");
      var url = new URL(cfg.endpoint, window.location.href);
      url.searchParams.set("query", query);
      url.searchParams.set("format", f[1]);
      a.href = url.href;
      a.textContent = f[0];
      a.className = "dl";
      a.setAttribute("download", "plankg-results." + (f[1] === "rdfxml" ? "rdf" : f[1]));
      a.setAttribute("data-format", f[1]);
      box.appendChild(a);
    });
  }

  // Accessibility (WCAG 2.1 AA) of YASGUI's own widgets, which CSS cannot reach:
  // * its "+" (add a tab) button sits inside the role=tablist, where only tabs may be: it moves to
  //   just after the list (YASGUI inserts new tabs before `addTabEl`; null appends them instead);
  // * CodeMirror's hidden textarea, which receives the typing, has no label: it gets the editor's;
  // * the results table's page-size menu has no label either (redrawn with every result).
  function accessible() {
    var tabs = yasgui.tabElements;
    if (tabs && tabs.addTabEl && tabs._tabsListEl && tabs.addTabEl.parentNode === tabs._tabsListEl) {
      tabs._tabsListEl.parentNode.insertBefore(tabs.addTabEl, tabs._tabsListEl.nextSibling);
      tabs.addTabEl.className = "addTabWrap";
      tabs.addTabEl = null;
    }
    root.querySelectorAll(".CodeMirror textarea:not([aria-label])").forEach(function (area) {
      area.setAttribute("aria-label", cfg.editorLabel);
    });
    root.querySelectorAll("select.tableSizer:not([aria-label])").forEach(function (menu) {
      menu.setAttribute("aria-label", cfg.pageSizeLabel);
    });
  }
  accessible();
  new MutationObserver(accessible).observe(root, { childList: true, subtree: true });

  var timer = null;
  function watch(tab) {
    var yasqe = tab && tab.getYasqe();
    if (!yasqe || yasqe.__plankgWatched) { return; }
    yasqe.__plankgWatched = true;
    yasqe.on("change", function () { clearTimeout(timer); timer = setTimeout(refreshLinks, 250); });
  }

  function open(query, title, run) {
    var tab = null;
    Object.keys(yasgui._tabs).forEach(function (id) {
      var t = yasgui._tabs[id];
      if (!tab && t.getYasqe && t.getYasqe() && t.getQuery() === query) { tab = t; }
    });
    if (tab) {
      yasgui.selectTabId(tab.getId());
    } else {
      tab = yasgui.addTab(true, { name: title || yasgui.createTabName(), yasqe: { value: query } });
    }
    watch(tab);
    refreshLinks();
    if (run) { tab.query().catch(function () { /* YASR shows the error */ }); }
    return tab;
  }

  yasgui.on("tabSelect", function () { setTimeout(function () { watch(yasgui.getTab()); refreshLinks(); accessible(); }, 0); });
  yasgui.on("tabChange", function () { clearTimeout(timer); timer = setTimeout(refreshLinks, 250); });
  yasgui.on("tabAdd", function () { setTimeout(function () { watch(yasgui.getTab()); refreshLinks(); accessible(); }, 0); });

  document.querySelectorAll("a.example").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) { return; }
      ev.preventDefault();
      var url = new URL(a.href);
      open(url.searchParams.get("query"), url.searchParams.get("title"), true);
      window.history.replaceState(null, "", a.href);
      document.querySelectorAll("a.example.current").forEach(function (c) { c.classList.remove("current"); });
      a.classList.add("current");
      root.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });

  // IRIs of our nodes in the results open their page here, not at the (maybe unreachable) IRI host.
  function localLinks() {
    root.querySelectorAll('a[href^="' + cfg.base + '"]').forEach(function (a) {
      a.href = cfg.idPrefix + a.getAttribute("href").slice(cfg.base.length);
      a.removeAttribute("target");
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (!pending) { pending = true; window.requestAnimationFrame(function () { pending = false; localLinks(); }); }
  }).observe(root, { childList: true, subtree: true });

  if (cfg.query) {
    open(cfg.query, cfg.title, true);
  } else {
    watch(yasgui.getTab());
    refreshLinks();
  }
  window.plankgYasgui = yasgui;
})();
