"""The strings of the error pages, the data and API page and the /sparql page, in zh-Hant and en:
part of :data:`plankg.server.ui.i18n.STRINGS` (kept here so that module stays short)."""

from __future__ import annotations

from collections.abc import Mapping

SITE_STRINGS: Mapping[str, tuple[str, str]] = {
    # errors (server/errors.py): title and explanation of each status
    "error_detail": ("詳細", "Detail"),
    "error_400_title": ("請求有誤", "Bad request"),
    "error_400_text": ("伺服器無法處理這個請求。", "The server cannot process this request."),
    "error_403_title": ("禁止存取", "Forbidden"),
    "error_403_text": ("您沒有存取這個網址的權限。", "You may not access this address."),
    "error_404_title": ("找不到此頁", "Page not found"),
    "error_404_text": ("這個網址沒有任何頁面。請檢查網址，或從首頁、搜尋或資料頁開始。",
                       "There is no page at this address. Check the address, or start from the overview, search or the data page."),
    "error_405_title": ("不允許的方法", "Method not allowed"),
    "error_405_text": ("這個網址不接受此 HTTP 方法。", "This address does not accept this HTTP method."),
    "error_406_title": ("無可接受的格式", "Not acceptable"),
    "error_406_text": ("這個網址無法以您要求的格式提供內容。", "This address has no representation in the formats you asked for."),
    "error_413_title": ("請求內容過大", "Request too large"),
    "error_413_text": ("請求內容超過伺服器的上限。", "The request body is larger than the server accepts."),
    "error_414_title": ("網址過長", "Address too long"),
    "error_414_text": ("網址超過伺服器的上限；請改用 POST。", "The address is longer than the server accepts; use POST instead."),
    "error_415_title": ("不支援的內容類型", "Unsupported media type"),
    "error_415_text": ("伺服器不接受這種請求內容。", "The server does not accept this kind of request body."),
    "error_500_title": ("伺服器內部錯誤", "Internal server error"),
    "error_500_text": ("伺服器發生錯誤，已記錄於日誌。這不是您的問題。", "Something went wrong on the server; it has been logged. It is not your fault."),
    "error_503_title": ("服務暫時無法使用", "Service unavailable"),
    "error_503_text": ("伺服器暫時無法回應（例如查詢超過時間上限）。請稍後再試。",
                       "The server cannot answer right now (for example, a query ran past its time limit). Try again later."),
    "error_other_title": ("錯誤", "Error"),
    "error_other_text": ("無法完成這個請求。", "This request could not be completed."),
    # data and API page (server/ui/datapage.py)
    "data_title": ("資料與 API", "Data and API"),
    "data_intro": ("除了瀏覽網頁，也可以用程式查詢、下載或引用整個知識圖譜。",
                   "Besides reading the pages, programs can query, download and cite the whole knowledge graph."),
    "data_summary": ("共 {n} 個三元組，建置日期 {date}。", "{n} triples, built on {date}."),
    "data_sparql_text": ("SPARQL 1.1 Protocol 端點，可查詢所有具名圖（預設圖為所有具名圖的聯集）。在瀏覽器中請用查詢頁。",
                         "A SPARQL 1.1 Protocol endpoint over every named graph (the default graph is their union). "
                         "In a browser, use the query page."),
    "data_curl": ("命令列（curl）：", "From the shell (curl):"),
    "data_python": ("Python（SPARQLWrapper）：", "From Python (SPARQLWrapper):"),
    "data_endpoint_about": ("端點說明與限制", "The endpoint's description and limits"),
    "data_ontology_text": ("類別與屬性的定義（OWL），可取得 HTML、Turtle、JSON-LD 等格式。",
                           "The classes and properties (OWL), as HTML, Turtle, JSON-LD and more."),
    "data_dumps_text": ("整個資料集的所有內容具名圖（含計畫、預算、法規、本體與詞彙，不含後設資料圖），gzip 壓縮。",
                        "Every content graph of the dataset (plans, budgets, laws, the ontology and vocabularies; not the "
                        "metadata graph), gzip-compressed."),
    "data_file": ("檔案", "File"),
    "data_format": ("格式", "Format"),
    "data_size": ("大小", "Size"),
    "data_meta": ("資料集描述", "Dataset description"),
    "data_void": ("VoID：資料集、子集、連結集與統計", "VoID: the dataset, its subsets, linksets and statistics"),
    "data_catalog": ("DCAT 資料目錄：資料集、下載檔案與服務", "DCAT catalog: the dataset, its distributions and services"),
    "data_stratml": ("StratML 匯出", "StratML export"),
    "data_stratml_text": ("每個計畫都可下載為 StratML 第 1 部（ISO 17469-1）文件：", "Each plan as a StratML Part 1 (ISO 17469-1) document:"),
    "data_cite": ("引用方式", "How to cite"),
    "data_cite_text": ("請註明資料集名稱、網址與建置日期，例如：", "Give the dataset's title, address and build date, for example:"),
    "data_license_text": ("計畫、預算與法規資料由政府機關發布，依「政府資料開放授權條款－第1版」提供；本體另採 MIT 授權（見本體文件）。",
                          "The plans, budgets and laws are published by government agencies and provided under the Open "
                          "Government Data License, version 1.0; the ontology itself is MIT-licensed (see its document)."),
    "data_no_dumps": ("此版本沒有下載檔案。", "This build has no dumps."),
    # the /sparql page for browsers (server/sparql/service.py)
    "sd_title": ("SPARQL 端點", "SPARQL endpoint"),
    "sd_intro": ("這是 plankg（年度施政計畫知識圖譜）的 SPARQL 1.1 Protocol（W3C）端點：",
                 "This is the SPARQL 1.1 Protocol (W3C) endpoint of plankg, a knowledge graph of Taiwanese government annual plans:"),
    "sd_query_page": ("撰寫及執行查詢，請用查詢頁", "To write and run queries, use the query page"),
    "sd_use": ("使用方式", "Use it"),
    "sd_use_text": ("以 GET 傳送 query= 參數，或以 POST 傳送 application/x-www-form-urlencoded（query=）或 application/sparql-query。"
                    "default-graph-uri 與 named-graph-uri 可指定資料集；未指定時，預設圖為所有具名圖的聯集。",
                    "GET with query=, or POST application/x-www-form-urlencoded (query=) or application/sparql-query. "
                    "default-graph-uri and named-graph-uri select the dataset; without them the default graph is the union "
                    "of all named graphs."),
    "sd_read_write": ("SPARQL Update（POST update= 或 application/sparql-update）與 /store 的 Graph Store 需持有權杖（bearer token）才能寫入。",
                      "SPARQL Update (POST update= or application/sparql-update) and the Graph Store at /store accept "
                      "writes with the bearer token."),
    "sd_read_only": ("此伺服器為唯讀。", "The server is read-only."),
    "sd_formats": ("結果格式", "Result formats"),
    "sd_formats_select": ("SELECT、ASK：", "SELECT, ASK: "),
    "sd_formats_graph": ("CONSTRUCT、DESCRIBE：", "CONSTRUCT, DESCRIBE: "),
    "sd_formats_choose": ("以 Accept 標頭選擇格式，或在瀏覽器中用 format= 參數：", "Choose with the Accept header, or from a browser with format=: "),
    "sd_default": ("（預設）", " (default)"),
    "sd_limits": ("限制", "Limits"),
    "sd_limit_time": ("每個查詢或更新最多執行 {s} 秒；超過即以 503 停止。", "A query or update may run {s} s; longer ones are stopped with 503."),
    "sd_limit_body": ("請求內容上限 {body}（Graph Store 上傳上限 {upload}）。", "A request body may have {body} (Graph Store uploads {upload})."),
    "sd_limit_federation": ("SERVICE 與 LOAD 僅能連到：", "SERVICE and LOAD may only reach: "),
    "sd_federation_off": ("無（已停用）", "nothing (disabled)"),
    "sd_graphs": ("具名圖", "Named graphs"),
    "query_editor_label": ("SPARQL 查詢編輯器", "SPARQL query editor"),
    "query_page_size_label": ("每頁列數", "Rows per page"),
    # home: the sunburst's legend and text version (the other home strings are in i18n.py)
    "legend_work_plans": ("工作計畫", "Work plans"),
    "legend_categories_note": ("重要計畫外圈的花紋", "The patterned ring outside each program"),
    "sunburst_text": ("計畫全貌的文字版（目標與策略、工作計畫與重要計畫）",
                      "The chart as text (goals and strategies, work plans and programs)"),
}
