"""plankg.build.funding: programs ↔ the budget line items that fund them.

The seed plan against the shipped budgets is measured on the hand-judged gold set
tests/data/funding-gold.tsv (docs/funding-gold.md says how it was made); small fixtures check the
rules one by one: which budget, the item IRIs, the thresholds, near matches, warnings.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from plankg import resources
from plankg.build import funding
from plankg.build.funding import item_paths, item_text, link_funding
from plankg.build.linker import Linker
from plankg.build.rdf import map_plan
from plankg.build.textsim import TfIdf, cosine, ngrams, shared_fragments
from plankg.build.vocab import Vocabularies
from plankg.loaders.budget_csv import shipped_documents
from plankg.loaders.model import BudgetDocument, BudgetRow, LineItem, Source
from plankg.loaders.registry import load
from plankg.namespaces import PLAN

BASE = "https://w3id.org/plankg/id/"
GOLD = Path(__file__).resolve().parent / "data" / "funding-gold.tsv"
# Measured on the gold set (docs/funding-gold.md): precision 36/40 = 0.900, recall 36/48 = 0.750.
# The floors leave a small margin for harmless changes; a real regression falls below them.
PRECISION_FLOOR = 0.87
RECALL_FLOOR = 0.72


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


# --------------------------------------------------------------------------------------------
# The seed plan and the shipped budgets, against the gold set
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_graph() -> Graph:
    vocab = Vocabularies.load(BASE)
    plan = load("mol-108.txt", resources.bundled_plans()[0].read_bytes(), list(vocab.categories))
    return map_plan(plan, vocab, Linker(vocab.terms), "0" * 64).graph


@pytest.fixture(scope="module")
def budgets() -> list[BudgetDocument]:
    return shipped_documents()


@pytest.fixture(scope="module")
def seed_links(seed_graph, budgets):
    return link_funding([seed_graph], budgets, BASE)


def gold() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def emitted(mapped) -> set[tuple[str, str]]:
    g = mapped.graph
    return {(str(g.value(n, P("linkFrom"))).removeprefix(BASE), str(g.value(n, P("linkTo"))).removeprefix(BASE))
            for n in g.subjects(RDF.type, P("FundingLink"))}


def test_gold_set_is_well_formed(seed_graph, budgets):
    rows = gold()
    assert len(rows) >= 30
    judgements = [r["judgement"] for r in rows]
    assert set(judgements) == {"yes", "no", "unsure"}
    assert judgements.count("yes") >= 15 and judgements.count("no") >= 15
    assert len({(r["program"], r["item"]) for r in rows}) == len(rows), "a pair is judged twice"
    enacted = {r.code: r for r in budgets[-1].rows}
    assert budgets[-1].stage == "enacted" and budgets[-1].year == 2019
    for r in rows:  # every pair names a real program and a real item, with their texts
        program = URIRef(BASE + r["program"])
        assert str(seed_graph.value(program, RDFS.label)) == r["program_label"]
        _, roc, stage, code, _, path = r["item"].split("/", 5)
        assert (roc, stage) == ("108", "enacted")
        items = dict(item_paths(enacted[code]))
        assert items[path].text == r["item_text"]
        work_plan = seed_graph.value(program, P("isProgramOf"))
        assert str(seed_graph.value(work_plan, P("budgetCode"))) == code, "pairs lie within one work plan"


def test_precision_and_recall_on_the_gold_set(seed_links):
    judged = {(r["program"], r["item"]): r["judgement"] for r in gold()}
    links = emitted(seed_links)
    # a link nobody judged counts as wrong; links judged unsure count neither way
    counted = [judged.get(link, "unjudged") for link in links if judged.get(link) != "unsure"]
    precision = counted.count("yes") / len(counted)
    positives = {pair for pair, j in judged.items() if j == "yes"}
    recall = len(positives & links) / len(positives)
    assert precision >= PRECISION_FLOOR, f"precision {precision:.3f} ({counted.count('yes')}/{len(counted)})"
    assert recall >= RECALL_FLOOR, f"recall {recall:.3f} ({len(positives & links)}/{len(positives)})"


def test_the_issue_example_is_linked(seed_links):
    assert ("mol/108/work-plan/1/program/1", "budget/108/enacted/6330011100/item/1") in emitted(seed_links)
    program = URIRef(BASE + "mol/108/work-plan/1/program/1")
    item = URIRef(BASE + "budget/108/enacted/6330011100/item/1")
    assert (program, P("fundedByItem"), item) in seed_links.graph


def test_every_link_carries_score_rank_method_and_evidence(seed_links):
    g = seed_links.graph
    links = list(g.subjects(RDF.type, P("FundingLink")))
    assert seed_links.counts["links"] == len(links) > 30
    assert seed_links.graph_iri == BASE + "graph/links/funding/mol/108" and seed_links.kind == "links"
    method = URIRef(BASE + funding.METHOD)
    for link in links:
        assert str(link).startswith(BASE + "mol/108/funding-link/")
        for prop in ("linkFrom", "linkTo", "score", "rank", "method", "evidence"):
            assert len(list(g.objects(link, P(prop)))) == 1, (link, prop)
        score = g.value(link, P("score"))
        assert score.datatype == XSD.decimal and Decimal("0") <= score.toPython() <= Decimal("1")
        rank = g.value(link, P("rank")).toPython()
        assert 1 <= rank <= funding.TOP_K
        assert score.toPython() >= (funding.THRESHOLD_BEST if rank == 1 else funding.THRESHOLD)
        assert g.value(link, P("method")) == method
        assert (g.value(link, P("linkFrom")), P("fundedByItem"), g.value(link, P("linkTo"))) in g
        assert "「" in g.value(link, P("evidence")), "the evidence quotes the shared text"
    assert len(list(g.triples((None, P("fundedByItem"), None)))) == len(links)
    assert {lit.language for lit in g.objects(method, RDFS.label)} == {"en", "zh-Hant"}


def test_near_matched_work_plans_are_linked_with_lower_trust(seed_links):
    g = seed_links.graph
    research = str(BASE + "mol/108/work-plan/11/")  # 勞動及職業安全衛生研究業務 → …研究 (near)
    for link in g.subjects(RDF.type, P("FundingLink")):
        evidence = str(g.value(link, P("evidence")))
        near = str(g.value(link, P("linkFrom"))).startswith(research)
        assert ("near match" in evidence) == near, evidence
    # 勞動保險業務(一) is 勞動保險業務 in the budget: the plan's own (一) is no difference
    assert "6130011300" in " ".join(map(str, g.objects(None, P("evidence"))))


def test_work_plan_without_line_items_is_reported(seed_links):
    # 勞動力發展業務: the 2019 row of its code is its first 節 only, with no note
    assert any("work-plan/8 " in w and "no numbered line items" in w for w in seed_links.warnings)
    assert not any("/work-plan/8/" in str(s) for s in seed_links.graph.subjects(P("fundedByItem"), None))




def test_same_input_gives_the_same_graph(seed_graph, budgets, seed_links):
    again = link_funding([seed_graph], budgets, BASE)
    assert set(again.graph) == set(seed_links.graph)


# --------------------------------------------------------------------------------------------
# Small fixtures
# --------------------------------------------------------------------------------------------

SRC = Source("fixture.csv", 1, 1)


def item(ordinal: int, text: str, *items: LineItem) -> LineItem:
    return LineItem(ordinal, text, None, None, SRC, list(items))


def row(code: str, depcat: str, *items: LineItem, topname: str = "測試部主管") -> BudgetRow:
    return BudgetRow(code, 1000, "無細項", topname, "測試部", depcat, "福利服務支出", "1.1.1", "", SRC, list(items))


def budget(*rows: BudgetRow, year: int = 2019, stage: str = "enacted") -> BudgetDocument:
    return BudgetDocument(f"{stage}-{year}.csv", year, stage, list(rows), SRC)


def plan_graph(org: str, roc: int, work_plans: list[tuple[str, str | None, list[tuple[str, list[str]]]]]) -> Graph:
    """A mapped plan's shape: work plans (name, code, programs (name, activities))."""
    g = Graph()
    root = URIRef(f"{BASE}{org}/{roc}")
    g.add((root, RDF.type, P("AnnualPlan")))
    g.add((root, P("fiscalYear"), Literal(str(roc + 1911), datatype=XSD.gYear)))
    for w, (name, code, programs) in enumerate(work_plans, 1):
        wp = URIRef(f"{root}/work-plan/{w}")
        g.add((root, P("hasWorkPlan"), wp))
        g.add((wp, RDFS.label, Literal(name, lang="zh-Hant")))
        g.add((wp, P("ordinal"), Literal(w)))
        if code:
            g.add((wp, P("budgetCode"), Literal(code)))
        for p, (pname, acts) in enumerate(programs, 1):
            prog = URIRef(f"{wp}/program/{p}")
            g.add((wp, P("hasProgram"), prog))
            g.add((prog, P("isProgramOf"), wp))
            g.add((prog, RDFS.label, Literal(pname, lang="zh-Hant")))
            g.add((prog, P("ordinal"), Literal(p)))
            for a, text in enumerate(acts, 1):
                act = URIRef(f"{prog}/activity/{a}")
                g.add((prog, P("hasActivity"), act))
                g.add((act, RDFS.label, Literal(text, lang="zh-Hant")))
                g.add((act, P("ordinal"), Literal(a)))
    return g


def links_of(mapped) -> dict[tuple[str, str], tuple[Decimal, int, str]]:
    g = mapped.graph
    return {(str(g.value(n, P("linkFrom"))).removeprefix(BASE), str(g.value(n, P("linkTo"))).removeprefix(BASE)):
            (g.value(n, P("score")).toPython(), g.value(n, P("rank")).toPython(), str(g.value(n, P("evidence"))))
            for n in g.subjects(RDF.type, P("FundingLink"))}


def test_item_text_drops_amounts_and_the_budget_formula():
    assert item_text("策劃政策推展經費2,479千元，較上年度減列辦理勞動議題諮詢會議等經費576千元。").replace("，", " ").split() \
        == ["策劃政策推展", "辦理勞動議題諮詢會議等", "。"]
    text = item_text("提升我國職業安全衛生水準計畫總經費300,000千元，分5年辦理，105至107年已編列185,271千元，"
                     "本年度續編第4年經費52,594千元，較上年度增列943千元。")
    assert "千元" not in text and "年度" not in text and "編" not in text and "提升我國職業安全衛生水準" in text
    assert "新增" not in item_text("新增農民職業災害保險業務經費14,757千元。")
    assert "與上年度同" not in item_text("辦理勞工保險及就業保險監理業務經費1,400千元，與上年度同。")


def test_ordinal_paths_follow_the_printed_numbers_at_every_level():
    r = row("1000000000", "業務", item(1, "甲"), item(2, "乙", item(1, "丙"), item(2, "丁", item(1, "戊"))), item(3, "己"))
    assert [(path, i.text) for path, i in item_paths(r)] == [
        ("1", "甲"), ("2", "乙"), ("2/1", "丙"), ("2/2", "丁"), ("2/2/1", "戊"), ("3", "己")]


def test_ordinal_paths_are_unique_within_every_row_of_the_shipped_budgets(budgets):
    for doc in budgets:
        for r in doc.rows:
            paths = [path for path, _ in item_paths(r)]
            assert len(paths) == len(set(paths)), (doc.file, r.code)


def test_links_point_at_enacted_items_of_the_plans_year_with_nested_ordinal_paths():
    g = plan_graph("t", 108, [("職業安全業務", "1000000001", [("推動職業安全衛生檢查", ["辦理職業安全衛生檢查"])])])
    r = row("1000000001", "職業安全業務", item(1, "本年度預算數各單位編列情形如下：",
                                          item(1, "職業安全衛生檢查經費100千元，與上年度同。"),
                                          item(2, "國際交流經費50千元。")))
    proposed = budget(row("1000000001", "職業安全業務", item(1, "推動職業安全衛生檢查經費1千元。")), stage="proposed")
    older = budget(row("1000000001", "職業安全業務", item(1, "推動職業安全衛生檢查經費1千元。")), year=2018)
    links = links_of(link_funding([g], [proposed, older, budget(r)], BASE))
    assert list(links) == [("t/108/work-plan/1/program/1", "budget/108/enacted/1000000001/item/1/1")]
    score, rank, evidence = links[("t/108/work-plan/1/program/1", "budget/108/enacted/1000000001/item/1/1")]
    assert rank == 1 and score > Decimal("0.5") and "「職業安全衛生檢查」" in evidence and "near" not in evidence


def test_thresholds_and_top_k():
    # program 1 shares much with items 1 and 2 and a little with 3; program 2 shares almost nothing
    g = plan_graph("t", 108, [("勞動業務", "1000000002", [
        ("強化勞工退休金制度", ["辦理勞工退休金制度宣導", "督促雇主提撥勞工退休準備金"]),
        ("推動國際交流", ["參與國際組織活動"])])])
    r = row("1000000002", "勞動業務",
            item(1, "落實勞工退休金制度經費100千元。"), item(2, "勞工退休準備金查核經費50千元。"),
            item(3, "勞工退休金宣導經費10千元。"), item(4, "辦理港口工會福利經費5千元。"))
    mapped = link_funding([g], [budget(r)], BASE)
    links = links_of(mapped)
    from_1 = sorted((rank, to) for (frm, to), (_, rank, _) in links.items() if frm.endswith("program/1"))
    assert [rank for rank, _ in from_1] == list(range(1, funding.TOP_K + 1)), "top k of program 1 only"
    assert not [k for k in links if k[0].endswith("program/2")], "nothing shared, nothing linked"
    assert mapped.counts == {"links": funding.TOP_K, "programs": 2, "programs linked": 1, "pairs scored": 8}


def test_near_match_evidence_and_the_plans_own_numbering():
    progs = [("健全勞工保險制度", ["檢討勞工保險條例"])]
    g = plan_graph("t", 108, [("勞動保險業務(一)", "1000000003", progs), ("勞動保險業務(二)", "1000000004", progs)])
    b = budget(row("1000000003", "勞動保險業務", item(1, "研議勞工保險制度經費1千元。")),
               row("1000000004", "保險業務", item(1, "研議勞工保險制度經費1千元。")))
    links = links_of(link_funding([g], [b], BASE))
    evidence = {frm.split("/")[3]: ev for (frm, _), (_, _, ev) in links.items()}
    assert "near match" not in evidence["1"]
    assert "near match: the budget row is named 保險業務" in evidence["2"] and "trust this link less" in evidence["2"]


def test_what_cannot_be_linked_is_warned_about():
    progs = [("推動勞動檢查", ["辦理勞動檢查"])]
    g = plan_graph("t", 108, [("甲業務", None, progs), ("乙業務", "1000000009", progs), ("丙業務", "1000000005", progs)])
    b = budget(row("1000000005", "丙業務"))  # a row without numbered items
    mapped = link_funding([g, plan_graph("u", 107, [("丁業務", "1000000005", progs)])], [b], BASE)
    assert len(mapped.graph) == 0 and mapped.counts["links"] == 0
    text = "\n".join(mapped.warnings)
    assert "work-plan/1 (甲業務) has no budget code" in text
    assert "code 1000000009 is not in enacted-2019.csv" in text
    assert "has no numbered line items" in text
    assert "u/107: no enacted budget of 2018 was given" in text


def test_links_are_numbered_per_plan_so_adding_a_plan_renumbers_nothing():
    progs = [("推動勞動檢查", ["辦理勞動檢查"])]
    a = plan_graph("b-org", 108, [("業務", "1000000006", progs)])
    b = plan_graph("a-org", 108, [("業務", "1000000006", progs)])
    r = row("1000000006", "業務", item(1, "加強勞動檢查經費1千元。"))
    alone = link_funding([a], [budget(r)], BASE).graph
    both = link_funding([a, b], [budget(r)], BASE).graph
    first = URIRef(BASE + "b-org/108/funding-link/1")
    assert alone.value(first, P("linkFrom")) == both.value(first, P("linkFrom"))
    assert str(both.value(URIRef(BASE + "a-org/108/funding-link/1"), P("linkFrom"))).startswith(BASE + "a-org/")


# --------------------------------------------------------------------------------------------
# plankg.build.textsim
# --------------------------------------------------------------------------------------------


def test_ngrams_stay_inside_runs_of_letters():
    assert set(ngrams("勞動，基金 2019")) == {"勞動", "基金"}
    assert set(ngrams("勞動基金")) == {"勞動", "動基", "基金", "勞動基", "動基金"}


def test_cosine_of_tfidf_vectors_lies_between_0_and_1():
    tfidf = TfIdf(["勞動基金監理", "勞工退休制度", "國際事務"])
    same, other = tfidf.vector("勞動基金監理"), tfidf.vector("國際事務")
    assert cosine(same, same) == pytest.approx(1.0)
    assert cosine(same, other) == 0.0
    assert 0 < cosine(same, tfidf.vector("勞動基金之監理")) < 1
    assert tfidf.vector("，。") == {}


def test_shared_fragments_join_overlapping_ngrams_only():
    assert shared_fragments("策劃政策推展經費", set(ngrams("加強勞動政策推展"))) == ["政策推展"]
    # 加強 and 工資 are both shared, side by side, but 強工 is not: two fragments
    assert shared_fragments("加強工資", set(ngrams("加強分析，合理工資"))) == ["加強", "工資"]
