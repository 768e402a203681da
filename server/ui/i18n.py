"""The site's languages and strings: Traditional Chinese first, English second.

Every user-visible string of the UI and of the linked-data pages (not of the data) is in
:data:`STRINGS`, one row per key with its zh-Hant and en text; templates call
``t("key", n=…)`` and Python calls :func:`text`. An English text with a count may give its
singular and plural forms as ``"{n} program|{n} programs"``: :func:`text` picks by ``n`` (or ``m``). Labels that come from the ontology and the vocabularies (class names,
categories, target groups, units, laws) are not here: they are read from the store in the
page's language (:func:`rdf_lang`). Plan texts are Chinese in both languages.

The language is ``?lang=`` when given (and then remembered in the ``lang`` cookie), else the
cookie, else zh-Hant (:func:`current_lang`).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import g, request

from plankg.loaders.plan_syntax import Kind, label
from plankg.server.ui.analysis_strings import ANALYSIS_STRINGS
from plankg.server.ui.site_strings import SITE_STRINGS

ZH = "zh-Hant"
EN = "en"
LANGS = (ZH, EN)
DEFAULT = ZH
COOKIE = "lang"

STRINGS: Mapping[str, tuple[str, str]] = {
    # site frame
    "site": ("施政計畫知識圖譜", "Plan knowledge graph"),
    "tagline": ("把年度施政計畫變成可查詢的知識圖譜", "Annual government plans as a queryable knowledge graph"),
    "nav_home": ("計畫總覽", "Overview"),
    "nav_query": ("SPARQL 查詢", "SPARQL query"),
    "nav_search": ("搜尋", "Search"),
    "nav_analysis": ("分析", "Analysis"),
    "nav_data": ("資料與 API", "Data and API"),
    "search_placeholder": ("搜尋目標、策略、計畫、實施內容", "Search goals, strategies, programs, activities"),
    "switch_to": ("English", "中文"),
    "switch_title": ("Switch to English", "切換為中文"),
    "footer": ("資料來源：各機關年度施政計畫。", "Source: the agencies' annual plans."),
    "footer_sparql": ("SPARQL 端點", "SPARQL endpoint"),
    "footer_ontology": ("本體", "Ontology"),
    "footer_dumps": ("下載資料", "Downloads"),
    "zh_only": ("計畫僅以中文發布；詞彙（單位、施政對象、法規）有英文名稱者以英文顯示。", "The plans are published in Chinese only: their titles and texts are shown as published; "
                    "names from the vocabularies (units, target groups, laws) are shown in English where they have one."),
    # language names of tagged texts (none is shown for the page's own language)
    "lang_zh": ("中文", "Chinese"),
    "lang_en": ("英文", "English"),
    # home
    "plans_in_store": ("知識圖譜中的計畫", "Plans in the graph"),
    "publisher": ("發布機關", "Publisher"),
    "year": ("年度", "Year"),
    "year_value": ("民國 {roc} 年（西元 {ad} 年）", "ROC year {roc} ({ad})"),
    "vision": ("施政願景", "Vision"),
    "aims": ("施政目標", "Aims"),
    "follows": ("依據：", "Based on: "),
    "at_a_glance": ("計畫全貌", "The plan at a glance"),
    "sunburst_help": ("左半圈：年度施政目標（一、）及其策略（(一)），依目標著色；右半圈：工作計畫（1）及其重要計畫（1.1），"
                      "依工作計畫著色，外圈花紋為計畫類別。指向或以 Tab 鍵移到區塊可看全文，點選可開啟該節點的資料頁。",
                      "Left half: the annual goals (一、) and their strategies ((一)), coloured by goal. Right half: the "
                      "work plans (1) and their programs (1.1), coloured by work plan; the patterned outer ring is the plan "
                      "category. Hover or Tab to a segment for its full text; click it to open its linked-data page."),
    "centre_year": ("{roc} 年度", "{ad}"),
    "sunburst_label": ("計畫結構圖：目標與策略、工作計畫與重要計畫", "Plan structure: goals and strategies, work plans and programs"),
    "goals_and_strategies": ("壹、年度施政目標及策略", "Annual goals and strategies"),
    "work_plans_and_programs": ("貳、年度重要計畫", "Work plans and their programs"),
    "strategies_n": ("{n} 項策略", "{n} strategy|{n} strategies"),
    "activities_n": ("{n} 項實施內容", "{n} activity|{n} activities"),
    "programs_n": ("{n} 項重要計畫", "{n} program|{n} programs"),
    "legend_goals": ("目標", "Goals"),
    "legend_categories": ("計畫類別", "Plan categories"),
    "count_goals": ("年度施政目標", "annual goal|annual goals"),
    "count_strategies": ("策略", "strategy|strategies"),
    "count_work_plans": ("工作計畫", "work plan|work plans"),
    "count_programs": ("重要計畫", "program|programs"),
    "count_activities": ("實施內容", "activity|activities"),
    "count_links": ("對象與法規連結", "link to target groups and laws|links to target groups and laws"),
    "unit": ("主辦單位：", "Responsible unit: "),
    "budget_code": ("預算科目代碼", "Budget code"),
    "no_plan": ("知識圖譜中沒有計畫。請先執行 plankg build。", "The graph holds no plan yet. Run plankg build first."),
    "unknown_plan": ("找不到這個計畫：{plan}", "No such plan: {plan}"),
    "open_page": ("資料頁", "Data page"),
    "plan_download": ("下載計畫", "Download the plan"),
    "stratml_title": ("StratML：策略計畫的 XML 格式（ISO 17469-1 第 1 部）",
                      "StratML: the XML format of strategic plans (ISO 17469-1 Part 1)"),
    # search
    "search_title": ("搜尋", "Search"),
    "search_button": ("搜尋", "Search"),
    "search_hint": ("可輸入多個詞（以空白分隔，每個詞都須出現）。中文不需空白：輸入三字以上時，也會找出含其中兩字詞的項目，依相符的兩字詞數排序。中英文名稱皆可搜尋，並含簡稱（職災 ↔ 職業災害）。",
                    "Type one or more words (separated by spaces; all must occur). Chinese needs no spaces: for three "
                    "or more Chinese characters, items containing some of their character pairs are found too, ranked "
                    "by how many pairs match. Chinese and English names are searched, with short forms (職災 ↔ 職業災害)."),
    "search_none": ("沒有符合「{q}」的項目。", "Nothing matches “{q}”."),
    "search_count": ("共 {m} 筆符合「{q}」。", "{m} result for “{q}”.|{m} results for “{q}”."),
    "search_capped": ("顯示 {n} 筆，共 {m} 筆符合「{q}」（每頁上限 {cap} 筆）。", "Showing {n} of {m} results for “{q}” (at most {cap} per page)."),
    "group_count": ("{n} 筆", "{n}"),
    "group_capped": ("顯示 {n} / {m} 筆", "showing {n} of {m}"),
    "partial_match": ("部分相符", "partial match"),
    "in": ("屬於", "in"),
    "search_also": ("也搜尋：{forms}", "Also searched: {forms}"),
    "search_too_long": ("搜尋字串過長（{n} 字，上限 {max} 字）。", "The search is too long ({n} characters, at most {max})."),
    "concepts": ("相關詞彙：施政對象、法規、機關與單位", "Vocabulary: target groups, laws, agencies and units"),
    "concept_TargetGroup": ("施政對象", "target group"),
    "concept_Unit": ("內部單位", "unit"),
    "concept_Agency": ("機關", "agency"),
    "concept_DraftLaw": ("法律草案", "draft law"),
    "concept_Law": ("法規", "law"),
    "concept_via": ("相符名稱：{form}", "matched name: {form}"),
    "concept_uses": ("計畫與預算中連結 {n} 次", "{n} links from plans and budgets"),
    "suggest_canonical": ("改搜尋全稱：", "Search the full term instead:"),
    "suggest_concepts": ("名稱相近的詞彙：", "Vocabulary with similar names:"),
    "suggest_examples": ("搜尋範例：", "Example searches:"),
    "search_examples": ("職業災害|青年|勞工保險|就業服務法|勞動力發展署", "insurance|Labor|youth|Employment Service Act|Workforce Development Agency"),
    # query page
    "query_title": ("SPARQL 查詢", "SPARQL query"),
    "query_intro": ("在下方編輯器撰寫 SPARQL，按 ▶ 執行（Ctrl+Enter）。點選左側範例即可載入並執行；每個查詢都有可分享的連結與多種下載格式。",
                    "Write SPARQL in the editor below and press ▶ to run it (Ctrl+Enter). Click an example on the left to load and run it; "
                    "every query has a shareable link and downloads in several formats."),
    "examples": ("範例查詢", "Example queries"),
    "share": ("分享連結", "Share link"),
    "open_link": ("開啟", "Open"),
    "share_help": ("複製此連結即可分享目前的查詢", "Copy this link to share the current query"),
    "download": ("下載結果", "Download"),
    "endpoint": ("端點", "Endpoint"),
    "assets_missing": ("查詢編輯器（YASGUI）尚未安裝。請在專案目錄執行：",
                       "The query editor (YASGUI) is not installed. In the project folder, run:"),
    "assets_missing_installed": ("這個 plankg 安裝缺少查詢編輯器（YASGUI）的檔案。請用含這些檔案的 wheel 重新安裝"
                                 "（在有 npm 的專案目錄以 python -m pip wheel --no-deps . 建置）：",
                                 "This installation of plankg lacks the query editor's (YASGUI's) files. Reinstall it "
                                 "from a wheel that carries them (built with python -m pip wheel --no-deps . in the "
                                 "project folder, where npm is available):"),
    "assets_fallback": ("在安裝前，仍可用下面的簡易表單查詢：", "Until then, this plain form queries the endpoint:"),
    "run": ("執行", "Run"),
    "format": ("格式", "Format"),
    "edited": ("（已修改）", " (edited)"),
    # SPARQL syntax errors (server/syntaxhelp.py), before pyoxigraph's own message
    "syntax_error": ("SPARQL 語法錯誤：第 {line} 行第 {col} 欄。", "SPARQL syntax error at line {line}, column {col}."),
    "undeclared_prefix": ("未宣告的前綴 {prefix}:（第 {line} 行第 {col} 欄），請加入 PREFIX {prefix}: <{iri}>",
                          "Undeclared prefix {prefix}: (line {line}, column {col}); add PREFIX {prefix}: <{iri}>"),
    "undeclared_prefix_unknown": ("未宣告的前綴 {prefix}:（第 {line} 行第 {col} 欄），請在查詢開頭以 PREFIX {prefix}: <…> 宣告其 IRI",
                                  "Undeclared prefix {prefix}: (line {line}, column {col}); declare its IRI at the start "
                                  "of the query: PREFIX {prefix}: <…>"),
    "parser_message": ("解析器的完整訊息：", "The parser's full message:"),
    # linked-data pages and the ontology document
    "types": ("類型", "Types"),
    "properties": ("屬性", "Properties"),
    "incoming": ("連結至此的資源", "Incoming links"),
    "path": ("在計畫中的位置", "Place in the plan"),
    "source": ("原文出處", "Source line"),
    "links": ("文中提及的法規與施政對象", "Laws and target groups named in the text"),
    "matched": ("比對文字：", "matched words:"),
    "offset": ("位置", "offset"),
    "cited_by": ("提及此項的計畫節點", "Plan nodes that name this"),
    "alignments": ("計算所得之對應（策略與計畫項目、他機關預算項目）", "Computed alignments (strategies, programs, other agencies' line items)"),
    "align_other": ("對應項目", "Aligned with"),
    "align_rank": ("名次", "Rank"),
    "align_score": ("分數", "Score"),
    "align_accepted": ("採納", "Accepted"),
    "align_evidence": ("依據", "Evidence"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "formats": ("其他格式", "Other formats"),
    "sparql": ("以 SPARQL 查詢此資源", "Query this in SPARQL"),
    "see_also": ("參見", "See also"),
    "iri": ("識別碼", "IRI"),
    "not_found": ("找不到此資源", "No such resource"),
    "not_found_text": ("知識圖譜中沒有任何三元組以此 IRI 為主詞或受詞。", "No triple of the graph has this IRI as subject or object."),
    "home": ("首頁", "Home"),
    "classes": ("類別", "Classes"),
    "object_properties": ("物件屬性", "Object properties"),
    "datatype_properties": ("資料屬性", "Datatype properties"),
    "other_properties": ("其他屬性", "Other properties"),
    "definition": ("定義", "Definition"),
    "note": ("說明", "Note"),
    "domain": ("定義域", "Domain"),
    "range": ("值域", "Range"),
    "subclass_of": ("上位類別", "Subclass of"),
    "subproperty_of": ("上位屬性", "Subproperty of"),
    "inverse_of": ("反向屬性", "Inverse of"),
    "subterms": ("下位詞彙", "Narrower terms"),
    "external": ("使用的外部詞彙", "External terms used"),
    "characteristics": ("特性", "Characteristics"),
    "version": ("版本", "Version"),
    "license": ("授權", "License"),
    "more": ("另有 {n} 筆未列出", "{n} more not listed"),
    **ANALYSIS_STRINGS,
    **SITE_STRINGS,
    "rolled_up": ("其下各項提及的法規與施政對象", "Laws and target groups named by the items under it"),
    "via": ("見於", "in"),
    "source_text": ("原文", "Source text"),
    "source_lines": ("第 {start}–{end} 行", "lines {start}–{end}"),
    "source_line": ("第 {start} 行", "line {start}"),
}


def normalise(lang: str | None) -> str | None:
    """``lang`` as one of :data:`LANGS` (case-insensitive; ``zh``/``zh-tw`` → zh-Hant), or None."""
    if not lang:
        return None
    low = lang.strip().lower()
    if low in ("zh-hant", "zh", "zh-tw", "zh-hant-tw"):
        return ZH
    if low in ("en", "en-us", "en-gb"):
        return EN
    return None


def current_lang() -> str:
    """This request's language: ``?lang=``, else the ``lang`` cookie, else zh-Hant (memoised on ``g``)."""
    if "ui_lang" not in g:
        g.ui_lang = normalise(request.args.get("lang")) or normalise(request.cookies.get(COOKIE)) or DEFAULT
    return g.ui_lang


def text(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang``, with ``{name}`` fields filled from ``values``; an English
    ``singular|plural`` pair is chosen by ``n`` (or ``m``): singular for exactly 1. A string filled
    without ``n`` or ``m`` keeps its ``|`` (the heat map's cells use it as a separator)."""
    zh, en = STRINGS[key]
    s = en if lang == EN else zh
    if "|" in s and ("n" in values or "m" in values):
        count = values.get("n", values.get("m"))
        singular, plural = s.split("|", 1)
        s = singular if count == 1 else plural
    return s.format(**values) if values else s


def error_text(status: int, lang: str) -> tuple[str, str]:
    """The title and explanation of an HTTP error ``status`` in ``lang``."""
    key = f"error_{status}" if f"error_{status}_title" in STRINGS else "error_other"
    return text(key + "_title", lang), text(key + "_text", lang)


def language_name(tag: str | None, lang: str) -> str | None:
    """The name of a literal's language ``tag`` to show on a page in ``lang``: None for no tag and
    for the page's own language, else the language's name (or the tag, for one we do not name)."""
    if not tag:
        return None
    primary = tag.lower().split("-", 1)[0]
    if primary == rdf_lang(lang).split("-", 1)[0]:
        return None
    key = f"lang_{primary}"
    return text(key, lang) if key in STRINGS else tag


def rdf_lang(lang: str) -> str:
    """The language tag of the store's labels for UI language ``lang`` (Oxigraph lower-cases tags)."""
    return "en" if lang == EN else "zh-hant"


def goal_number(n: int) -> str:
    """The heading number of a goal, as plans print it: 一、"""
    return label(Kind.CN_COMMA, n)


def strategy_number(n: int) -> str:
    """The number of a strategy, as plans print it: (一)"""
    return label(Kind.CN_PAREN, n)


def human_bytes(n: int) -> str:
    """A size in bytes as people read it, in binary units: 1048576 → ``1 MiB``, 1536 → ``1.5 KiB``."""
    size, unit = float(n), "bytes"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    if unit == "bytes":
        return f"{n} byte" if n == 1 else f"{n} bytes"
    return f"{size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
