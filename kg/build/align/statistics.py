"""The corpus statistics alignment weighs by: how many texts have each character n-gram, each
target group or law, each policy domain (the IDF of :mod:`.text`, :mod:`.structure`,
:mod:`.concepts` and :mod:`.domain`).

They are learnt once, from a fixed **reference corpus**, and shipped as data
(``data/alignment/reference-statistics.tsv.gz``), not learnt again from each build's own plans.
Learnt from the build, every plan's weights moved whenever any plan was added: adding one
agency's plan changed the scores of every other plan's alignments (and, at a threshold, which
are accepted), so a rebuild could reuse none of them and a published score depended on which
unrelated plans happened to be loaded. With the reference statistics, a plan's alignments depend
on that plan and on what it is compared with, never on the rest of the build.

The reference corpus is the bundled registry's (``data/registry.toml``): the strategies and
programs of the bundled plan and every line item of the enacted budgets, exactly the nodes the
default build aligns, so the default build's scores are what they were. An n-gram, concept or
domain the corpus lacks weighs as one no text has (the highest weight). Regenerate the file when
what a node is changes (its text, its concepts, the policy-domain words), with
``scripts/alignment-statistics.py``; tests/test_alignment_statistics.py fails until then.

File format: UTF-8 TSV, gzip-compressed with no timestamp (reproducible bytes); ``#`` lines are
comments; each row is ``kind <TAB> key <TAB> count``: ``texts`` and ``nodes`` (key empty) count the
n-gram documents (every node but budget work plans, whose text repeats their line items') and
all nodes; ``ngram``, ``concept`` and ``domain`` rows give document frequencies, the IRIs of
concepts and domains relative to the build's id base.
"""

from __future__ import annotations

import gzip
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from plankg.build.align.nodes import Node
from plankg.build.textsim import ngrams

REFERENCE_FILE = "reference-statistics.tsv.gz"
HEADER = ("# plankg alignment reference statistics (plankg.build.align.statistics): document frequencies\n"
          "# of the bundled registry's alignment nodes; regenerate: scripts/alignment-statistics.py\n")


@dataclass(frozen=True)
class Statistics:
    texts: int  # n-gram documents: every node but budget work plans
    ngram_df: dict[str, int]
    nodes: int  # all nodes (the documents of concepts and domains)
    concept_df: dict[str, int]  # relative IRI (see relative()) -> nodes linked to it
    domain_df: dict[str, int]  # relative IRI -> nodes tagged with it

    @classmethod
    def of(cls, nodes: Iterable[Node], tags, base: str) -> "Statistics":
        """The statistics of ``nodes``; ``tags(node)`` gives a node's policy domains (IRIs)."""
        nodes = list(nodes)
        texts = [n for n in nodes if n.kind != "budget work plan"]
        grams: Counter[str] = Counter()
        for n in texts:
            grams.update(ngrams(n.text).keys())
        concepts = Counter(relative(c, base) for n in nodes for c in n.concepts)
        domains = Counter(relative(d, base) for n in nodes for d in tags(n))
        return cls(len(texts), dict(grams), len(nodes), dict(concepts), dict(domains))

    def concept(self, iri: str, base: str) -> int:
        return self.concept_df.get(relative(iri, base), 0)

    def domain(self, iri: str, base: str) -> int:
        return self.domain_df.get(relative(iri, base), 0)

    def dumps(self) -> bytes:
        rows = [("texts", "", self.texts), ("nodes", "", self.nodes)]
        for kind, table in (("ngram", self.ngram_df), ("concept", self.concept_df), ("domain", self.domain_df)):
            rows += [(kind, k, v) for k, v in sorted(table.items())]
        text = HEADER + "".join(f"{k}\t{key}\t{v}\n" for k, key, v in rows)
        return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)

    @classmethod
    def loads(cls, data: bytes, file: str) -> "Statistics":
        counts: dict[str, int] = {}
        tables: dict[str, dict[str, int]] = {"ngram": {}, "concept": {}, "domain": {}}
        for number, line in enumerate(gzip.decompress(data).decode("utf-8").splitlines(), 1):
            if line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3 or not fields[2].isdigit():
                raise ValueError(f"{file}, line {number}: expected kind, key and count separated by tabs")
            kind, key, value = fields
            if kind in tables:
                tables[kind][key] = int(value)
            elif kind in ("texts", "nodes"):
                counts[kind] = int(value)
            else:
                raise ValueError(f"{file}, line {number}: unknown row kind {kind!r}")
        return cls(counts["texts"], tables["ngram"], counts["nodes"], tables["concept"], tables["domain"])


def relative(iri: str, base: str) -> str:
    return iri[len(base):] if base and iri.startswith(base) else iri


def reference_path() -> Path:
    return Path(str(files("plankg.data.alignment").joinpath(REFERENCE_FILE)))


@lru_cache(maxsize=1)
def reference() -> Statistics:
    """The shipped statistics of the reference corpus."""
    path = reference_path()
    return Statistics.loads(path.read_bytes(), str(path))


def of_registry(registry_file=None) -> Statistics:
    """The statistics of the nodes a build of ``registry_file`` (default: the bundled one) aligns."""
    from plankg.build import pipeline
    from plankg.build.align import inputs
    from plankg.build.progress import Stages
    from plankg.loaders.model import BudgetDocument
    from plankg.namespaces import DEFAULT_BASE

    with Stages(None) as stages:
        vocab, _, mapped, others, docs = pipeline._map_sources(pipeline.read_sources(None, registry_file),
                                                               DEFAULT_BASE, stages, aligned=False)
    budget_links = next((m.graph for m in others if m.graph_iri.endswith("/links/budget")), None)
    inp = inputs([m.graph for m in mapped], [d for d in docs if isinstance(d, BudgetDocument)], budget_links,
                 vocab.union, DEFAULT_BASE, learn=True)
    return inp.corpus.statistics


def main(argv: list[str] | None = None) -> int:
    """Write the reference statistics of the bundled registry to the shipped file (or the file given)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else reference_path()
    stats = of_registry()
    path.write_bytes(stats.dumps())
    print(f"{path}: {stats.texts} texts, {len(stats.ngram_df)} n-grams, {stats.nodes} nodes, "
          f"{len(stats.concept_df)} concepts, {len(stats.domain_df)} domains")
    return 0



__all__ = ["Statistics", "reference", "reference_path", "of_registry", "relative", "REFERENCE_FILE"]
