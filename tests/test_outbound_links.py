"""Links out of the graph (docs/data-model.md, "Links to other datasets"): owl:sameAs Wikidata for
organisations, skos:exactMatch / skos:closeMatch EuroVoc for target groups. Each was verified in a
cited source; these tests pin the set, so that adding or changing one is a deliberate edit, and
check that every link carries its citation and names what the vocabularies say it names."""

from __future__ import annotations

import functools

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, SKOS

from conftest import BASE, ROOT
from plankg.loaders.budget_csv import shipped_documents

WD = "http://www.wikidata.org/entity/"
EUROVOC = "http://eurovoc.europa.eu/"

SAME_AS = {  # organisation (relative IRI) -> (Wikidata item, the budget's depname for a budget agency)
    "org/ey": ("Q715055", "行政院"),  # organisations.ttl, budget agency 0301 (budget-agencies.ttl)
    "org/budget/0401": ("Q715869", "立法院"),
    "org/budget/2001": ("Q697093", "教育部"),
    "org/budget/2921": ("Q257136", "中央氣象局"),
    "org/budget/2330": ("Q7676537", "臺灣高等檢察署"),
    "org/budget/2317": ("Q15913528", "矯正署及所屬"),
    "org/budget/6710": ("Q698822", "海巡署及所屬"),
}
MATCHES = {  # target group -> (property, EuroVoc id)
    "unemployed": ("exactMatch", "5986"),
    "workers": ("closeMatch", "1737"),
    "youth": ("closeMatch", "1528"),
    "older-persons": ("closeMatch", "2333"),
    "persons-with-disabilities": ("closeMatch", "1231"),
    "disadvantaged-persons": ("closeMatch", "2873"),
    "employers": ("closeMatch", "735"),
    "smes": ("closeMatch", "2359"),
    "micro-enterprises": ("closeMatch", "6756"),
    "labour-unions": ("closeMatch", "3575"),
    "worker-employer-organisations": ("closeMatch", "3572"),
    "civil-society-organisations": ("closeMatch", "8428"),
}


@functools.cache
def vocab(name: str) -> Graph:
    return Graph().parse(ROOT / "ontology" / "vocab" / f"{name}.ttl", publicID=BASE)


def notes(g: Graph, subject: URIRef) -> str:
    return " ".join(str(n) for n in g.objects(subject, SKOS.editorialNote))


def test_organisation_links_are_the_verified_ones_each_with_its_source() -> None:
    g = vocab("organisations")
    found = {str(s)[len(BASE):]: str(o) for s, o in g.subject_objects(OWL.sameAs)}
    assert found == {org: WD + q for org, (q, _) in SAME_AS.items()}
    for org, (q, _) in SAME_AS.items():
        note = notes(g, URIRef(BASE + org))
        assert f"owl:sameAs wd:{q} from " in note and "commit " in note, org


def test_the_ministry_of_labor_and_its_units_have_no_unverified_link() -> None:
    g = vocab("organisations")
    assert not [s for s in g.subjects(OWL.sameAs) if str(s).startswith(BASE + "org/mol")]


def test_each_linked_budget_agency_is_the_agency_of_that_name_in_every_shipped_budget() -> None:
    names: dict[str, set[str]] = {}
    for doc in shipped_documents():
        for row in doc.rows:
            names.setdefault(row.code[2:6], set()).add(row.depname)
    codes = {"org/ey": "0301"} | {org: org.rsplit("/", 1)[1] for org in SAME_AS if org.startswith("org/budget/")}
    for org, (_, depname) in SAME_AS.items():
        assert depname in names[codes[org]], (org, names[codes[org]])


def test_target_group_matches_are_the_checked_eurovoc_concepts_each_with_why() -> None:
    g = vocab("target-groups")
    found = {(str(s)[len(BASE + "target-group/"):], str(p)[len(str(SKOS)):], str(o))
             for p in (SKOS.exactMatch, SKOS.closeMatch) for s, o in g.subject_objects(p)}
    assert found == {(tg, prop, EUROVOC + ev) for tg, (prop, ev) in MATCHES.items()}
    for tg, (prop, ev) in MATCHES.items():
        note = notes(g, URIRef(f"{BASE}target-group/{tg}"))
        assert note.startswith(f"skos:{prop} EuroVoc {ev} '") and "Source: EuroVoc" in note, tg
