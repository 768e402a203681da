/* plankg query page: YASGUI on our own /sparql, example queries, share and download links.
 *
 * Everything is same-origin: YASGUI's files come from /assets/yasgui/, the endpoint is /sparql,
 * and the autocompleters that would call external services (LOV, prefix.cc) are turned off.
 * `/query?query=…&title=…` opens that query in a tab (reusing a tab with the same query) and
 * runs it, so every query is shareable as a plain link.
 *
 * Tabs persist in localStorage, so their names follow the page's language here: a tab named after
 * an example takes the example's title in this language, marked "（已修改）/ (edited)" while its
 * query differs from the example's (and the example is then no longer highlighted); default names
 * ("SPARQL 查詢 2") are renamed too. IRIs under the site's base and of the ontology open their
 * page on this server. YASGUI's own strings are translated by yasgui-i18n.js.
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
  // A syntax error (400): the server's short explanation stands out, the parser's full message folds away.
  Yasgui.Yasr.defaults.errorRenderers = [function (error) {
    var text = error && typeof error.text === "string" ? error.text : "";  // YASR gives no status here
    var cut = text.indexOf("\n\n"), rest = text.slice(cut + 2), nl = rest.indexOf("\n");
    if (cut < 0 || nl < 0) { return Promise.resolve(undefined); }  // YASR's own view
    var box = document.createElement("div"), short = document.createElement("pre");
    var details = document.createElement("details"), summary = document.createElement("summary");
    var full = document.createElement("pre");
    box.className = "plankg-error";
    short.className = "short";
    short.textContent = text.slice(0, cut);
    summary.textContent = rest.slice(0, nl);
    full.textContent = rest.slice(nl + 1);
    details.append(summary, full);
    box.append(short, details);
    return Promise.resolve(box);
  }];
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

  var L = cfg.i18n;
  function queryOf(tab) {  // a tab not shown yet has no editor: its remembered query
    return tab.getYasqe() ? tab.getQuery() : ((tab.persistentJson || {}).yasqe || {}).value;
  }

  // ----- tab names in this language, and "edited" once an example's query is changed
  function unmarked(name) {
    for (var i = 0; i < L.editedMarks.length; i++) {
      var mark = L.editedMarks[i];
      if (name.length > mark.length && name.slice(-mark.length) === mark) { return name.slice(0, -mark.length); }
    }
    return name;
  }
  function exampleNamed(name) {
    var bare = unmarked(name);
    for (var i = 0; i < L.examples.length; i++) {
      if (L.examples[i].titles.indexOf(bare) >= 0) { return L.examples[i]; }
    }
    return null;
  }
  function titleOf(example) { return example.titles[L.lang === "en" ? 1 : 0]; }
  function nameFor(tab) {
    var name = tab.getName() || "";
    var example = exampleNamed(name);
    if (example) { return titleOf(example) + (queryOf(tab) === example.query ? "" : L.edited); }
    var m = /^(.*?)( \d+)?$/.exec(name);
    return L.tabNames.indexOf(m[1]) >= 0 ? cfg.tabName + (m[2] || "") : name;
  }
  function rename(tab) {
    var name = nameFor(tab);
    if (name !== tab.getName()) { tab.setName(name); }
  }

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
    rename(tab);
    document.querySelectorAll("a.example").forEach(function (a) {  // the example this tab runs, if any
      a.classList.toggle("current", new URL(a.href).searchParams.get("query") === query);
    });
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
      if (!tab && queryOf(t) === query) { tab = t; }
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

  function shown() {  // the active tab: watched, its links, its accessible names, and visible in the tab strip (which scrolls)
    watch(yasgui.getTab());
    refreshLinks();
    accessible();
    var active = root.querySelector(".tabsList .tab.active");
    if (active) { active.scrollIntoView({ block: "nearest", inline: "nearest" }); }
  }
  yasgui.on("tabSelect", function () { setTimeout(shown, 0); });
  yasgui.on("tabChange", function () { clearTimeout(timer); timer = setTimeout(refreshLinks, 250); });
  yasgui.on("tabAdd", function () { setTimeout(shown, 0); });

  document.querySelectorAll("a.example").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) { return; }
      ev.preventDefault();
      var url = new URL(a.href);
      open(url.searchParams.get("query"), url.searchParams.get("title"), true);
      window.history.replaceState(null, "", a.href);
      root.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });

  // IRIs of our nodes and of the ontology in the results open their page here, not at the IRI's host
  // (w3id.org, maybe unreachable), whatever the column: subjects, predicates, objects, datatypes.
  function localHref(iri) {
    if (iri.indexOf(cfg.base) === 0) { return cfg.idPrefix + iri.slice(cfg.base.length); }
    var o = cfg.ontology;  // [the ontology's IRI, its page here] or null: terms (#…), version (/0.1.0)
    if (o && (iri === o[0] || iri.indexOf(o[0] + "#") === 0 || iri.indexOf(o[0] + "/") === 0)) {
      return o[1] + iri.slice(o[0].length);
    }
    return null;
  }
  function localLinks() {
    root.querySelectorAll("a[href^='http']").forEach(function (a) {
      var local = localHref(a.getAttribute("href"));
      if (local !== null) {
        a.href = local;
        a.removeAttribute("target");
        a.removeAttribute("rel");
      }
    });
    root.querySelectorAll(".yasr a.iri:not([data-wbr])").forEach(breakable);
  }
  // An IRI may wrap after its / # ? & = (a <wbr>), never inside a word ("work-plan" stays whole:
  // the parts between are <span class="iri-part">, white-space: nowrap in plankg.css).
  function breakable(a) {
    a.setAttribute("data-wbr", "");
    if (a.childNodes.length !== 1 || a.firstChild.nodeType !== Node.TEXT_NODE) { return; }
    var parts = a.textContent.split(/([\/#?&=]+)/);
    a.textContent = "";
    parts.forEach(function (part, i) {
      if (!part) { return; }
      if (i % 2 === 1) {
        a.appendChild(document.createTextNode(part));
        a.appendChild(document.createElement("wbr"));
      } else {
        var span = document.createElement("span");
        span.className = "iri-part";
        span.textContent = part;
        a.appendChild(span);
      }
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (!pending) { pending = true; window.requestAnimationFrame(function () { pending = false; localLinks(); }); }
  }).observe(root, { childList: true, subtree: true });

  Object.keys(yasgui._tabs).forEach(function (id) { rename(yasgui._tabs[id]); });
  if (cfg.query) {
    open(cfg.query, cfg.title, true);
  } else {
    watch(yasgui.getTab());
    refreshLinks();
  }
  window.plankgYasgui = yasgui;
})();
