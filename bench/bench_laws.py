"""Timings of the law graph and the law links: map_laws, the linker over every text, and SHACL.

    python bench/bench_laws.py [--rounds N] [--no-pyshacl]

1. ``map_laws`` over the shipped index (11,547 laws);
2. the linker: building its terms and automaton, then matching every text it reads in the seed plan
   (strategies, program names, activities) and every line item of the three shipped budgets;
3. validating the law graph (with the vocabularies and the ontology) as a build validates:
   pySHACL for the core shapes, Oxigraph for the SHACL-SPARQL constraints (plankg.build.validate);
4. the cheaper option: the law shapes' checks written as SPARQL queries over all laws at once
   (:data:`LAW_CHECKS`), evaluated by Oxigraph;
5. validating the seed plan with the whole law graph in the data, and with only the laws it links
   to (``plankg.build.law_rdf.linked_laws``).
"""

from __future__ import annotations

import argparse
import statistics
import time

from rdflib import Graph

LAW_CHECKS = {
    "law outside the scheme": "SELECT ?law WHERE { ?law a plan:Law . FILTER NOT EXISTS { ?law skos:inScheme ?scheme . ?scheme a skos:ConceptScheme } }",
    "PCode malformed or twice": """SELECT ?law WHERE { ?law a plan:Law ; eli:id_local ?p .
        FILTER (!REGEX(STR(?p), "^[A-Z][0-9]{7}$") || DATATYPE(?p) != xsd:string
                || EXISTS { ?law eli:id_local ?q FILTER (?q != ?p) } || EXISTS { ?other eli:id_local ?p FILTER (?other != ?law) }) }""",
    "enacted without PCode or page": """SELECT ?law WHERE { ?law a plan:Law . FILTER NOT EXISTS { ?law a plan:DraftLaw }
        FILTER (NOT EXISTS { ?law eli:id_local ?p } || NOT EXISTS { ?law rdfs:seeAlso ?page FILTER STRSTARTS(STR(?page), "https://law.moj.gov.tw/") }) }""",
    "draft with PCode": "SELECT ?law WHERE { ?law a plan:DraftLaw ; eli:id_local ?p }",
    "zh-Hant names": """SELECT ?law WHERE { ?law a/rdfs:subClassOf* plan:Law .
        { SELECT ?law (COUNT(?l) AS ?n) WHERE { ?law rdfs:label ?l FILTER (LANGMATCHES(LANG(?l), "zh-Hant")) } GROUP BY ?law }
        FILTER (?n != 1) }""",
    "prefLabel per language": """SELECT ?law WHERE { ?law a/rdfs:subClassOf* plan:Law ; skos:prefLabel ?a , ?b .
        FILTER (?a != ?b && LANG(?a) = LANG(?b)) }""",
    "single-valued ELI terms": """SELECT ?law WHERE { ?law a plan:Law ; ?p ?a , ?b .
        VALUES ?p { eli:type_document eli:in_force eli:version_date eli:date_no_longer_in_force } FILTER (?a != ?b) }""",
    "ELI values": """SELECT ?law WHERE { ?law a plan:Law .
        { ?law eli:type_document ?t FILTER NOT EXISTS { ?t a plan:LawType } }
        UNION { ?law eli:in_force ?f FILTER (?f NOT IN (eli:InForce-inForce, eli:InForce-notInForce, eli:InForce-partiallyInForce)) }
        UNION { ?law eli:version_date|eli:date_no_longer_in_force|eli:first_date_entry_in_force|eli:date_publication ?d FILTER (DATATYPE(?d) != xsd:date) } }""",
    "labels": """SELECT ?law WHERE { ?law a plan:Law ; skos:altLabel|skos:hiddenLabel ?l . FILTER (!isLiteral(?l) || LANG(?l) = "" || STRLEN(?l) = 0) }""",
}
PREFIXES = """PREFIX plan: <https://w3id.org/plankg/ontology#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def timed(fn, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def plan_texts(vocab) -> list[str]:
    from plankg import resources
    from plankg.loaders import registry

    texts = []
    for r in resources.bundled_plans():
        plan = registry.load(r.name, r.read_bytes(), list(vocab.categories))
        texts += [s.text for s in plan.strategies()]
        texts += [p.name for p in plan.programs()] + [a.text for a in plan.activities()]
    return texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-pyshacl", action="store_true", help="skip the pySHACL validation of the law graph (~20 s)")
    args = ap.parse_args()

    from pyoxigraph import RdfFormat, Store

    from plankg.build.law_rdf import linked_laws, map_laws
    from plankg.build.linker import Linker
    from plankg.build.pipeline import compile_plans, read_inputs
    from plankg.build.validate import load_shapes, validate
    from plankg.build.vocab import Vocabularies
    from plankg.loaders.budget_csv import shipped_documents
    from plankg.loaders.law_index import default_index
    from plankg.namespaces import DEFAULT_BASE

    index = default_index()
    t, vocab = timed(lambda: Vocabularies.load(DEFAULT_BASE), 1)
    t_map, mapped = timed(lambda: map_laws(index, vocab), args.rounds)
    print(f"map_laws: {t_map:.2f} s (median of {args.rounds}); {mapped.counts['laws']} laws, {len(mapped.graph)} triples")

    t_terms, terms = timed(lambda: Vocabularies.load(DEFAULT_BASE).terms, args.rounds)
    t_linker, linker = timed(lambda: Linker(terms), args.rounds)
    texts = plan_texts(vocab) + [i.text for d in shipped_documents() for i in d.line_items()]
    chars = sum(len(t) for t in texts)
    t_match, found = timed(lambda: sum(len(linker.matches(t)) for t in texts), args.rounds)
    print(f"linker: terms {t_terms:.2f} s ({len(terms)} terms), automaton {t_linker:.3f} s, "
          f"matching {len(texts)} texts ({chars:,} characters: the seed plan and 3 budgets) {t_match:.3f} s, {found} matches")

    shapes = load_shapes(DEFAULT_BASE)
    data = mapped.graph + vocab.union
    if not args.no_pyshacl:
        t_shacl, report = timed(lambda: validate(data, vocab.ontology, shapes), 1)
        print(f"SHACL of the law graph (pySHACL core + Oxigraph SPARQL, as a build): {t_shacl:.1f} s, "
              f"{len(report.violations)} violations, {len(report.warnings)} warnings")

    def load() -> Store:
        store = Store()
        store.bulk_load((data + vocab.ontology).serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
        return store

    t_load, store = timed(load, args.rounds)
    t_sparql, problems = timed(lambda: sum(len(list(store.query(PREFIXES + q))) for q in LAW_CHECKS.values()), args.rounds)
    print(f"the same law checks as {len(LAW_CHECKS)} SPARQL queries in Oxigraph: {t_sparql:.2f} s, {problems} problems "
          f"(+ {t_load:.2f} s to load the graph from rdflib)")

    compiled = compile_plans(read_inputs(None), DEFAULT_BASE)
    plans = Graph()
    for m in compiled.mapped:
        plans += m.graph
    closure = linked_laws(mapped.graph, plans)
    t_closure, report = timed(lambda: validate(plans + vocab.union + closure, vocab.ontology, shapes), args.rounds)
    print(f"SHACL of the seed plan with the laws it links to ({len(closure)} triples): {t_closure:.2f} s, "
          f"{len(report.violations)} violations")
    if not args.no_pyshacl:
        t_full, report = timed(lambda: validate(plans + data, vocab.ontology, shapes), 1)
        print(f"SHACL of the seed plan with the whole law graph: {t_full:.1f} s, {len(report.violations)} violations")


if __name__ == "__main__":
    main()
