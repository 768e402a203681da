"""Precision and recall of the law links against the hand-made gold set (tests/data/law-links-gold.tsv,
docs/law-links-gold.md): the seed plan's strategies, program names and activities, and a seeded
sample of 50 line items of the enacted 2019 budget. The figures must not drop below those measured
when the gold set was made (:data:`FLOOR`, a margin below them).

    python tests/test_law_links_gold.py     # prints the table for the README
"""

from __future__ import annotations

import random
import re
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "law-links-gold.tsv"
BASE = "https://w3id.org/plankg/id/"
KINDS = ("citesLaw", "reformsLaw", "legalBasis")

# The sample of budget line items (docs/law-links-gold.md): enacted 2019, 20 items drawn from those
# with a law-like mention read off the text (not by the matcher), 30 from the rest, seed 14.
SEED = 14
LAWLIKE = re.compile(r"[\u4e00-\u9fff](法|條例|規則|辦法|標準|準則)(第|規定|修正|草案|施行|令|規|制|相關|」)")

# Measured when the gold set was made (see the table the module prints), minus a margin of 0.03.
FLOOR = {
    ("all", "precision"): 0.97, ("all", "recall named"): 0.81, ("all", "recall"): 0.63,
    ("citesLaw", "precision"): 0.97, ("citesLaw", "recall named"): 0.97, ("citesLaw", "recall"): 0.69,
    ("reformsLaw", "precision"): 0.97, ("reformsLaw", "recall named"): 0.97, ("reformsLaw", "recall"): 0.55,
    ("legalBasis", "precision"): 0.97, ("legalBasis", "recall"): 0.67,
}  # fmt: skip


def budget_sample() -> list[tuple[str, str]]:
    """(node, text) of the 50 sampled line items: ``108/enacted/{code}/item/{path}``."""
    from plankg.build.law_links import walk
    from plankg.loaders.budget_csv import shipped_document

    doc = shipped_document("enacted", 2019)
    items = [(row.code, "/".join(map(str, path)), item.text) for row in doc.rows for path, item in walk(row.items)]
    rng = random.Random(SEED)
    lawlike = [i for i in items if LAWLIKE.search(i[2])]
    chosen = rng.sample(lawlike, 20)
    chosen += rng.sample([i for i in items if i not in chosen], 30)
    return [(f"108/enacted/{code}/item/{path}", text) for code, path, text in chosen]


def plan_texts() -> list[tuple[str, str]]:
    """(node, text) of what the linker reads in the seed plan: strategies, program names, activities."""
    from plankg import resources
    from plankg.build.vocab import Vocabularies
    from plankg.loaders import registry

    plan = registry.load("mol-108.txt", resources.bundled_plans()[0].read_bytes(),
                         list(Vocabularies.load(BASE).categories))
    out = [(f"goal/{g.ordinal}/strategy/{s.ordinal}", s.text) for g in plan.goals for s in g.strategies]
    for w in plan.work_plans:
        for p in w.programs:
            out.append((f"work-plan/{w.ordinal}/program/{p.ordinal}", p.name))
            out += [(f"work-plan/{w.ordinal}/program/{p.ordinal}/activity/{a.ordinal}", a.text) for a in p.activities]
    return out


@cache
def gold() -> tuple[dict[tuple[str, str, str, str], str], set[tuple[str, str]]]:
    """({(source, node, kind, target): tier}, the budget nodes judged)."""
    links, judged = {}, set()
    for line in GOLD.read_text(encoding="utf-8").splitlines()[2:]:
        source, node, kind, target, tier, _words, _note = line.split("\t")
        if source == "budget":
            judged.add(("budget", node))
        if kind != "-":
            links[(source, node, kind, target)] = tier
    return links, judged


@cache
def predicted() -> set[tuple[str, str, str, str]]:
    from plankg.build.linker import Linker
    from plankg.build.vocab import Vocabularies

    vocab = Vocabularies.load(BASE)
    from plankg.loaders.law_index import default_index

    vocab.law_index = default_index()  # as a build with the law index links
    linker = Linker(vocab.terms)
    out = set()
    for source, texts in (("plan", plan_texts()), ("budget", budget_sample())):
        for node, text in texts:
            for m in linker.matches(text):
                if m.prop in KINDS:
                    out.add((source, node, m.prop, m.target.removeprefix(BASE + "law/")))
    return out


def scores() -> dict[tuple[str, str], float]:
    """Precision (of predicted links, against every gold link), recall of the named gold links and
    recall of all gold links (named, designated, legal bases), per kind and over all kinds."""
    links, _ = gold()
    pred = predicted()
    out = {}
    for kind in (*KINDS, "all"):
        p = {x for x in pred if kind in ("all", x[2])}
        g = {x: t for x, t in links.items() if kind in ("all", x[2])}
        named = {x for x, t in g.items() if t in ("named", "basis")}
        out[(kind, "predicted")], out[(kind, "gold")], out[(kind, "gold named")] = len(p), len(g), len(named)
        out[(kind, "precision")] = len(p & set(g)) / len(p) if p else 1.0
        out[(kind, "recall named")] = len(named & p) / len(named) if named else 1.0
        out[(kind, "recall")] = len(set(g) & p) / len(g) if g else 1.0
    same_law = {(s, n, t) for s, n, k, t in pred}
    gold_law = {(s, n, t) for s, n, k, t in links}
    out[("any kind", "precision")] = len(same_law & gold_law) / len(same_law)
    out[("any kind", "recall")] = len(same_law & gold_law) / len(gold_law)
    return out


def test_the_budget_sample_is_the_documented_one():
    _, judged = gold()
    nodes = [node for node, _ in budget_sample()]
    assert len(nodes) == len(set(nodes)) == 50
    assert {("budget", n) for n in nodes} == judged
    assert sum(1 for _, text in budget_sample() if LAWLIKE.search(text)) >= 20


def test_gold_targets_are_laws_of_the_index_or_drafts():
    from plankg.loaders.law_index import default_index

    index = default_index()
    for (_, _, kind, target), tier in gold()[0].items():
        assert kind in KINDS and tier in ("named", "designated", "basis")
        assert target in index or target.startswith("draft/"), target


@pytest.mark.parametrize("key", sorted(FLOOR))
def test_precision_and_recall_stay_above_the_measured_figures(key):
    assert scores()[key] >= FLOOR[key], (key, scores()[key])


def errors() -> tuple[list, list]:
    links, _ = gold()
    pred = predicted()
    return sorted(pred - set(links)), sorted((x, t) for x, t in links.items() if x not in pred)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    s = scores()
    print(f"{'kind':12} {'predicted':>9} {'gold':>5} {'named':>6} {'precision':>9} {'recall named':>12} {'recall':>7}")
    for kind in (*KINDS, "all"):
        print(f"{kind:12} {s[(kind, 'predicted')]:9d} {s[(kind, 'gold')]:5d} {s[(kind, 'gold named')]:6d} "
              f"{s[(kind, 'precision')]:9.2f} {s[(kind, 'recall named')]:12.2f} {s[(kind, 'recall')]:7.2f}")
    print(f"any kind (law right, kind ignored): precision {s[('any kind', 'precision')]:.2f}, recall {s[('any kind', 'recall')]:.2f}")
    false_pos, missed = errors()
    print("\nfalse positives:", *false_pos, sep="\n  ")
    print("\nmissed:", *missed, sep="\n  ")
