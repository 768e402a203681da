"""YASGUI's own strings in zh-Hant, for the query page (``server/static/query.js``).

YASGUI 4.6 has no language option: its labels are English literals in its code. What can be
translated, and how query.js does it:

* the results table's DataTables texts ("Showing 1 to 3 of 3 entries", "No data available in
  table", the pager's labels): DataTables' ``language`` option, which the YASR table plugin
  passes on from ``Yasr.plugins.table.defaults.tableConfig`` (:data:`DATATABLES`);
* the plugin buttons ("Table", "Response"), the table controls ("Simple view", "Ellipse",
  "Filter query results", "Page size: ", "All"), the result count ("3 results in 0.1 seconds"),
  the buttons' titles ("Run query", "Close tab", "Download result" …) and "True"/"False":
  replaced by query.js after YASR draws them, by their English text (:data:`STRINGS`, keyed by it).

Not translated: YASR's "Could not render results with the … plugin" notice and the CORS help of
its error view (neither can occur with our same-origin endpoint and its plugins), and CodeMirror's
autocompletion hints. In English the page passes nothing and YASGUI speaks its own English.
"""

from __future__ import annotations

from collections.abc import Iterable

from plankg.examples import Example
from plankg.server.ui.i18n import EN, ZH, text

STRINGS: dict[str, str] = {
    "Table": "表格",
    "Response": "原始回應",
    "Shows Table view": "以表格顯示",
    "Shows Response view": "顯示原始回應",
    "Simple view": "簡易檢視",
    "Ellipse": "截斷長值",
    "Filter query results": "篩選查詢結果",
    "Page size: ": "每頁筆數：",
    "All": "全部",
    "{n} results": "{n} 筆結果",
    "{n} result": "{n} 筆結果",
    " in {s} seconds": "，耗時 {s} 秒",
    " in {s} second": "，耗時 {s} 秒",
    "Response in {s} seconds": "回應耗時 {s} 秒",
    "Response in {s} second": "回應耗時 {s} 秒",
    "Download result": "下載結果",
    "Download Results": "下載結果",
    "Download not supported": "此檢視無法下載",
    "View documentation of Table": "YASGUI 表格說明文件（英文）",
    "View documentation of Response": "YASGUI 原始回應說明文件（英文）",
    "Show all": "全部顯示",
    "True": "是",
    "False": "否",
    "Run query": "執行查詢",
    "Share query": "分享查詢",
    "Close tab": "關閉分頁",
    "Add tab": "新增分頁",
    "Add a new tab": "新增分頁",
    "Error": "錯誤",
    "Try query in a new browser window": "在新視窗直接向端點查詢",
}

DATATABLES: dict = {
    "emptyTable": "查詢沒有結果",
    "info": "顯示第 _START_ 至 _END_ 筆，共 _TOTAL_ 筆",
    "infoEmpty": "共 0 筆",
    "infoFiltered": "（從 _MAX_ 筆中篩選）",
    "lengthMenu": "每頁 _MENU_ 筆",
    "loadingRecords": "載入中…",
    "search": "篩選：",
    "zeroRecords": "沒有符合篩選的結果",
    "entries": {"_": "筆", "1": "筆"},
    "lengthLabels": {"-1": "全部"},
    "paginate": {"first": "&lt;&lt;", "last": "&gt;&gt;", "next": "&gt;", "previous": "&lt;"},  # YASR's arrows
    "aria": {"orderable": "：點選以排序", "orderableReverse": "：點選以反向排序", "orderableRemove": "：點選以取消排序",
             "paginate": {"first": "第一頁", "last": "最後一頁", "next": "下一頁", "previous": "上一頁", "number": ""}},
}


def for_page(lang: str, examples: Iterable[Example]) -> dict:
    """The strings the query page's script needs in ``lang``: YASGUI's (none in English), and
    what renames its tabs when the language changes (tabs persist in localStorage): the
    default tab name, the examples' titles and the "edited" mark, in both languages."""
    both = (ZH, EN)
    return {
        "strings": {} if lang == EN else STRINGS,
        "dataTables": None if lang == EN else DATATABLES,
        "lang": lang,
        "tabNames": [text("query_title", la) for la in both],
        "edited": text("edited", lang),
        "editedMarks": [text("edited", la) for la in both],
        "examples": [{"query": e.query, "titles": [e.get("title", la) for la in both]} for e in examples],
    }
