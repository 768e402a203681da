"""Latency of /search on the default build (the plan, the budgets, the whole law index), before and after issue 16.

    python bench/bench_search.py [--store DIR] [--rounds N] [--pages]

Without ``--store`` the default build is made first (``plankg build`` into a temporary folder).
Every figure is the median of N rounds in one process, on the same store:

1. **baseline**: the search of before issue 16 — every text (goals … activities) folded and
   scanned on each query, no concepts, no synonyms (``search.find(items, q)``, which is that code);
2. **texts**: the texts scanned from the index's folded copies, with synonym expansion;
3. **concepts**: the ~11,800 vocabulary concepts (laws, agencies, units, target groups) scanned;
4. **SPARQL scan**: the concepts found instead by a SPARQL ``CONTAINS(LCASE(…))`` over every label
   of the store (the alternative of not keeping an index);
5. **FTS5 trigram**: the same labels in an in-memory SQLite FTS5 table with the trigram tokenizer
   (the alternative of a real full-text index; a 2-character query cannot use it);
6. **page**: ``GET /search`` through the Flask test client (render included);
and, once, the cost of making the index on a worker's first search.

``--pages`` measures only ``GET /search`` (first request, then the median), with nothing but
``create_app``: run it with the interpreter of an install of the code before issue 16 to compare
whole pages, before and after, on the same store.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

QUERIES = ["職業災害", "職災", "青年", "勞工", "insurance", "Labor", "勞工保險條例", "量子計算"]


def median_ms(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def pages(store: str, rounds: int) -> None:
    from plankg.server import create_app

    app = create_app({"STORE": store, "TESTING": True})
    client = app.test_client()
    client.get("/search")  # the worker's store copy, not part of search
    t0 = time.perf_counter()
    client.get("/search?q=" + quote(QUERIES[0]) + "&first=1")
    print(f"first search (makes what is cached per build): {(time.perf_counter() - t0) * 1000:.0f} ms")
    print("| query | median ms | min ms |")
    for q in QUERIES:
        urls = (f"/search?q={quote(q)}&n={i}" for i in range(10**9))
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            client.get(next(urls))
            times.append((time.perf_counter() - t0) * 1000)
        print(f"| {q} | {statistics.median(times):.1f} | {min(times):.1f} |")
    app.extensions["plankg"].close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--pages", action="store_true")
    args = ap.parse_args()
    store = args.store
    if store is None:
        store = str(Path(tempfile.mkdtemp(prefix="bench-search-")) / "store")
        plankg = Path(sys.executable).with_name("plankg")
        subprocess.run([str(plankg), "build", "--store", store], check=True, capture_output=True)

    if args.pages:
        return pages(store, args.rounds)
    from plankg.server import create_app
    from plankg.server.ui import data as ui_data, search
    from plankg.server.ui.views import CONCEPT_CAP

    app = create_app({"STORE": store, "TESTING": True})
    client = app.test_client()
    client.get("/search")  # the worker's store copy, not part of search
    with app.test_request_context("/"):
        t0 = time.perf_counter()
        idx = search.index()
        made = (time.perf_counter() - t0) * 1000
        items = ui_data.search_items()
        labels = [(c.iri, n) for c in idx.concepts for n in c.names]
    fts = sqlite3.connect(":memory:")
    t0 = time.perf_counter()
    fts.execute("CREATE VIRTUAL TABLE label USING fts5(iri UNINDEXED, name, tokenize='trigram')")
    fts.executemany("INSERT INTO label VALUES (?, ?)", labels)
    fts_made = (time.perf_counter() - t0) * 1000
    print(f"store {store}: {len(items)} texts, {len(idx.concepts)} concepts ({len(labels)} labels), "
          f"{len(idx.replace)} synonym forms; index made in {made:.0f} ms (FTS5 trigram table: {fts_made:.0f} ms)")
    print(f"{args.rounds} rounds, median ms\n")
    print("| query | baseline: texts, no index | texts | concepts | SPARQL scan of labels | FTS5 trigram | page |"
          " ratio page / baseline | hits: texts + concepts (before; FTS5 labels) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for q in QUERIES:
        with app.test_request_context("/"):
            query = search.parse(q, idx)
            before = search.find(items, q)
            texts = search.find(idx.items, query, idx.texts)
            concepts = search.find_concepts(idx, query, "zh-Hant")[0]
            base = median_ms(lambda: search.find(items, q), args.rounds)
            t_texts = median_ms(lambda: search.find(idx.items, query, idx.texts), args.rounds)
            t_concepts = median_ms(lambda: search.find_concepts(idx, query, "zh-Hant", CONCEPT_CAP), args.rounds)
            folded = search.fold(q).replace("\\", "\\\\").replace('"', '\\"')
            sparql = f"""SELECT DISTINCT ?x WHERE {{ ?x rdfs:label|skos:prefLabel|skos:altLabel|skos:hiddenLabel ?l .
                FILTER(CONTAINS(LCASE(STR(?l)), "{folded}")) }}"""
            t_sparql = median_ms(lambda: ui_data.select(sparql), max(3, args.rounds // 4))
        like = "SELECT DISTINCT iri FROM label WHERE name LIKE ?"
        t_fts = median_ms(lambda: fts.execute(like, (f"%{q}%",)).fetchall(), args.rounds)
        n_fts = len(fts.execute(like, (f"%{q}%",)).fetchall())
        urls = (f"/search?q={quote(q)}&n={i}" for i in range(10**9))  # a new URL each time: no result cache
        t_page = median_ms(lambda: client.get(next(urls)), args.rounds)
        print(f"| {q} | {base:.2f} | {t_texts:.2f} | {t_concepts:.2f} | {t_sparql:.1f} | {t_fts:.2f} | {t_page:.1f} |"
              f" {t_page / base:.1f} | {len(texts)} + {len(concepts)} ({len(before)}; FTS5 {n_fts}) |")
    app.extensions["plankg"].close()


if __name__ == "__main__":
    main()
