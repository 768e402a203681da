"""Links from budget line items (plankg.build.law_links.link_budget_items): the line item IRIs, the
links and evidence the linker gives them, the counts, and validation with the shapes."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import Literal, URIRef

from plankg.build.law_links import item_iri, link_budget_items, walk
from plankg.build.linker import Linker
from plankg.loaders.budget_csv import shipped_document, shipped_documents
from plankg.loaders.model import BudgetDocument, BudgetRow, LineItem, Source
from plankg.namespaces import DEFAULT_BASE, PLAN

P = lambda name: URIRef(PLAN + name)  # noqa: E731
LAW = DEFAULT_BASE + "law/"


@pytest.fixture(scope="module")
def linker(vocab) -> Linker:
    return Linker(vocab.terms)


@pytest.fixture(scope="module")
def links(vocab, linker):
    return link_budget_items(shipped_documents(), vocab, linker)


def item(ordinal: int, text: str, *items: LineItem) -> LineItem:
    return LineItem(ordinal, text, None, None, Source.at("x.csv", 2), list(items))


def test_line_item_iris_follow_the_ordinal_path():
    row = BudgetRow("6330011500", 0, "無細項", "勞動部主管", "勞動部", "勞動條件及就業平等業務", "", "", "",
                    Source.at("x.csv", 2), [item(1, "a"), item(3, "b", item(2, "c", item(1, "d")))])
    doc = BudgetDocument("x.csv", 2019, "enacted", [row], Source.at("x.csv", 1))
    paths = [path for path, _ in walk(row.items)]
    assert paths == [(1,), (3,), (3, 2), (3, 2, 1)]
    assert [i.text for _, i in walk(row.items)] == [i.text for i in row.line_items()]  # LineItem.walk's order
    assert item_iri(DEFAULT_BASE, doc, row, (3, 2, 1)) == DEFAULT_BASE + "budget/108/enacted/6330011500/item/3/2/1"


def test_the_links_graph_and_its_counts(links):
    assert links.graph_iri == DEFAULT_BASE + "graph/links/budget" and links.kind == "links"
    assert not links.warnings
    c = links.counts
    assert c["items"] == sum(len(d.line_items()) for d in shipped_documents()) == 8_173
    # distinct link triples; the 45 plan:citesLaw include the 6 plan:reformsLaw links, stated as citations too
    assert (c["citesLaw"], c["reformsLaw"], c["legalBasis"]) == (45, 6, 41)
    assert c["targetGroup"] > 300 and c["linked items"] > 400
    # every link of every item has its evidence
    for s, p, o in links.graph:
        if p in (P("citesLaw"), P("legalBasis"), P("targetGroup")):
            evidence = {(links.graph.value(e, P("linkProperty")), links.graph.value(e, P("linkTarget")))
                        for e in links.graph.objects(s, P("hasLinkEvidence"))}
            assert (p, o) in evidence or (p == P("citesLaw") and (P("reformsLaw"), o) in evidence), (s, p, o)


def test_a_line_item_and_its_evidence(links):
    g = links.graph
    node = URIRef(DEFAULT_BASE + "budget/108/enacted/7160011500/item/4")
    assert (node, P("reformsLaw"), URIRef(LAW + "O0080001")) in g  # 研議修正公害糾紛處理法相關規範
    assert (node, P("citesLaw"), URIRef(LAW + "O0080001")) in g
    [ev] = [e for e in g.objects(node, P("hasLinkEvidence")) if g.value(e, P("linkProperty")) == P("reformsLaw")]
    assert str(ev) == f"{node}/link/1"
    assert g.value(ev, P("matchedText")) == Literal("公害糾紛處理法", lang="zh-Hant")
    assert g.value(ev, P("linkRule")) == Literal("reform-cue") and g.value(ev, P("cueText")) == Literal("修正", lang="zh-Hant")
    text = next(i.text for r in shipped_document("enacted", 2019).rows if r.code == "7160011500"
                for p, i in walk(r.items) if p == (4,))
    offset, cue_offset = g.value(ev, P("matchOffset")).toPython(), g.value(ev, P("cueOffset")).toPython()
    assert text[offset:offset + 7] == "公害糾紛處理法" and text[cue_offset:cue_offset + 2] == "修正"


def test_two_documents_of_one_year_and_stage_are_reported(vocab, linker):
    doc = shipped_document("enacted", 2019)
    again = link_budget_items([doc, doc], vocab, linker)
    assert len(again.warnings) == 1 and "same IRIs" in again.warnings[0]


def test_the_links_validate_with_the_laws_they_point_to(links, vocab):
    from plankg.build.law_rdf import linked_laws, map_laws
    from plankg.build.validate import load_shapes, validate
    from plankg.loaders.law_index import default_index

    laws = map_laws(default_index(), vocab).graph
    report = validate(links.graph + vocab.union + linked_laws(laws, links.graph), vocab.ontology,
                      load_shapes(DEFAULT_BASE))
    assert report.conforms, report.text()[:2000]
    kinds = Counter(str(links.graph.value(e, P("linkRule"))) for e in links.graph.subjects(P("linkRule"), None))
    assert set(kinds) == {"label", "reform-cue", "draft-law", "legal-basis"}
