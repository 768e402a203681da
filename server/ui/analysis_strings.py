"""The strings of the analysis page (``/analysis``: server/ui/analysis.py, heatmap.py), in zh-Hant
and en: part of :data:`plankg.server.ui.i18n.STRINGS` (kept here so that module stays short)."""

from __future__ import annotations

from collections.abc import Mapping

ANALYSIS_STRINGS: Mapping[str, tuple[str, str]] = {
    "analysis_title": ("計畫分析", "Plan analysis"),
    "colon": ("：", ": "),
    "analysis_intro": ("本頁每張圖表與清單都由一個具名查詢（kg/queries）算出，與 plankg report 執行的查詢相同；每一部分都可下載 CSV，或在 SPARQL 查詢頁開啟。",
                       "Every picture and list on this page is computed by one named query (kg/queries), the one plankg report runs; "
                       "each part can be downloaded as CSV or opened on the SPARQL query page."),
    "analysis_parts": ("本頁內容", "On this page"),
    "heatmap_title": ("策略 × 重要計畫項目：對應分數", "Strategies × programs: alignment scores"),
    "heatmap_help": ("列為施政策略（依目標分組），欄為重要計畫項目（依工作計畫分組）。每項策略保留分數最高之三個計畫項目：顏色越深分數越高，格中數字為分數 × 100；"
                     "加框並標 ✓ 者為採納之對應（plan:carriedBy）。指向格子可看策略、計畫項目、分數與名次，點選可開啟該對應之資料頁及其依據。標題文字已縮短，指向可看全文。",
                     "Rows are the strategies (grouped by goal), columns the programs (grouped by work plan). Each strategy keeps its three "
                     "best-scoring programs: the darker a cell, the higher the score, and its number is the score × 100; an outlined cell "
                     "marked ✓ is an accepted alignment (plan:carriedBy). Hover a cell for the strategy, program, score and rank; click it "
                     "to open the alignment's page with its evidence. Headers are shortened; hover them for the full text."),
    "hm_caption": ("{plan}：策略與重要計畫項目之對應分數", "{plan}: alignment scores of strategies and programs"),
    "hm_corner": ("策略＼計畫項目", "Strategy \\ program"),
    "hm_legend": ("分數色階（0 至本計畫最高分）", "Score scale (0 to the plan's best score)"),
    "hm_accepted": ("採納（plan:carriedBy）", "accepted (plan:carriedBy)"),
    "hm_cell": ("策略 {strategy}｜計畫項目 {program}｜分數 {score}｜第 {rank} 名", "Strategy {strategy} | program {program} | score {score} | rank {rank}"),
    "hm_cell_accepted": ("｜採納", " | accepted"),
    "hm_counts": ("{n} 項對應，其中 {accepted} 項採納", "{n} alignments, {accepted} of them accepted"),
    "matrix_title": ("施政對象 × 機關", "Target groups × agencies"),
    "matrix_help": ("涵蓋知識圖譜中的所有機關（不限本計畫）：每格為該機關施政計畫中提及此施政對象之重要計畫項目數，以及 108 年度法定預算中提及此對象之說明項目數與金額合計。"
                    "點選格子可開啟該施政對象之資料頁。表格可左右捲動。",
                    "Covers every agency in the graph (not only this plan): each cell gives the programs of the agency's plan that name the "
                    "target group, and the line items of its 2019 enacted budget that name it, with their total amount. Click a cell to "
                    "open the target group's page. The table scrolls sideways."),
    "matrix_caption": ("施政對象 × 機關：重要計畫項目數、預算說明項目數及金額", "Target groups × agencies: programs, line items and amounts"),
    "matrix_corner": ("施政對象＼機關", "Target group \\ agency"),
    "matrix_counts": ("{groups} 個施政對象、{agencies} 個機關、{cells} 格有資料", "{groups} target groups, {agencies} agencies, {cells} cells with figures"),
    "tg_programs": ("{n} 計畫", "{n} prog."),
    "tg_items": ("{n} 項", "{n} items"),
    "tg_item": ("{n} 項", "{n} item"),
    "tg_cell": ("{group}｜{agency}｜重要計畫項目 {programs} 項｜預算說明項目 {items} 項｜金額 {amount} 元",
                "{group} | {agency} | programs: {programs} | line items: {items} | amount: NT$ {amount}"),
    "coverage_title": ("覆蓋缺口與跨機關法規", "Coverage gaps and shared laws"),
    "uncarried_strategies": ("沒有重要計畫項目落實之策略", "Strategies no program carries"),
    "uncarried_strategies_help": ("沒有任何計畫項目之對應分數達採納門檻；附分數最高之計畫項目及其分數。",
                                  "No program's alignment score reaches the acceptance threshold; with the best-scoring program and its score."),
    "nearest": ("最接近：", "nearest: "),
    "uncarried_programs": ("未落實任何策略之重要計畫項目", "Programs that carry no stated strategy"),
    "uncarried_programs_help": ("沒有任何策略之採納對應指向此計畫項目；附將其列為前三名候選之策略數與其中最高分數。",
                                "No strategy's accepted alignment names the program; with how many strategies list it among their three "
                                "best and the best of those scores."),
    "candidates_n": ("{n} 項策略列為候選", "a candidate of {n} strategies"),
    "best_score": ("最高分數 {score}", "best score {score}"),
    "shared_laws": ("一個以上機關提及之法規", "Laws cited by more than one agency"),
    "shared_laws_help": ("施政計畫與 108 年度法定預算說明中提及之法規，涵蓋所有機關（不限本計畫）。",
                         "Laws named in plan texts or 2019 enacted budget line items, across every agency (not only this plan)."),
    "agencies_n": ("{n} 個機關", "{n} agencies"),
    "none_listed": ("無。", "None."),
    "csv": ("下載 CSV", "Download CSV"),
    "open_query": ("在查詢頁開啟", "Open on the query page"),
    "same_report": ("同一查詢：", "Same query: "),
}
