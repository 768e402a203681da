"""The graphs of the law index, the budgets and the budget links, kept by content (issue 18).

They depend on the law index and the budget files, the vocabularies, mappings and ontology, the
id base and the code that reads and maps them: what a plan unit's key holds beside the plan
(:meth:`plankg.build.plan_units.Units.of`, whose digest covers every source that is not a plan),
with the modules that only these graphs are made by (:data:`CODE`). Nothing else: not the plans.
So a rebuild that adds a plan takes them from the cache folder ``others`` (:mod:`plankg.build.cache`),
as their N-Triples (:mod:`plankg.build.graph_files`), instead of mapping the budgets and the law
index again and writing their 200,000 lines. (Each plan's funding graph is kept with the plan.)
"""

from __future__ import annotations

import hashlib
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from plankg.build import cache, graph_files
from plankg.build.mapped import MappedGraph
from plankg.build.plan_units import Units
from plankg.build.sources import SourceSpec
from plankg.errors import InputError
from plankg.loaders.law_model import LawIndex
from plankg.loaders.model import BudgetDocument

if TYPE_CHECKING:  # pragma: no cover
    from plankg.build.linker import Linker
    from plankg.build.progress import Progress
    from plankg.build.rdf import MappedPlan
    from plankg.build.vocab import Vocabularies

KIND = "others"
FORMAT = 2  # of the files: raised when what a file holds changes
CODE = ("plankg.build.law_rdf", "plankg.build.law_links", "plankg.build.other_units", "plankg.build.graph_files",
        "plankg.build.mapped")


class OtherGraphs:
    """The kept graphs of the law index, budgets and budget links of one build's sources."""

    def __init__(self, fixed: bytes | None):
        folder = cache.folder(KIND) if fixed is not None else None
        self.path: Path | None = None
        if folder is not None:
            h = hashlib.sha256(f"{FORMAT}\n".encode() + fixed)
            for name in CODE:
                h.update(name.encode() + b"\x00" + Path(import_module(name).__file__).read_bytes())
            self.path = folder / f"{h.hexdigest()}.nt"

    def get(self) -> list[MappedGraph] | None:
        if self.path is None:
            return None
        found = graph_files.read(self.path, FORMAT)
        return None if found is None else found[0]

    def put(self, graphs: list[MappedGraph]) -> list[MappedGraph]:
        """Keep ``graphs``; returns them made as lines, with their digests."""
        if self.path is None:
            return graphs
        return graph_files.write(self.path, graphs, {}, FORMAT)


def map_others(budgets: list[BudgetDocument], laws: list[tuple[SourceSpec, LawIndex]], plans: list[MappedPlan],
                vocab: Vocabularies, linker: Linker, progress: Progress, specs: list[SourceSpec],
                units: Units | None = None) -> list[MappedGraph]:
    """The budget and law graphs (kept by content, :mod:`plankg.build.other_units`), and the links
    between sources; ``progress`` advances by each graph. ``units``: :meth:`Units.of` the specs, when made already."""
    units = units if units is not None else Units.of(specs, vocab.base)
    kept = OtherGraphs(units.fixed if units.folder is not None else None)
    out = kept.get() if laws or budgets else []
    if out is not None:
        progress.advance(len(out))
    else:
        out = kept.put(_map_budgets_laws(budgets, laws, vocab, linker, progress))
    if budgets:
        out.extend(m.unit.funding.graph(vocab.base, m.unit.iri) for m in plans if m.unit.funding is not None)
        progress.advance()
    return out


def _map_budgets_laws(budgets: list[BudgetDocument], laws: list[tuple[SourceSpec, LawIndex]], vocab: Vocabularies,
                      linker: Linker, progress: Progress) -> list[MappedGraph]:
    out: list[MappedGraph] = []
    if laws:
        from plankg.build.law_rdf import map_laws

        out.append(map_laws(laws[0][1], vocab))
        progress.advance()
    if budgets:
        from plankg.build.budget_rdf import map_budget
        from plankg.build.law_links import link_budget_items

        seen: dict[str, str] = {}
        for doc in budgets:
            m = map_budget(doc, vocab)
            if m.graph_iri in seen:
                raise InputError(doc.file, None, f"budget {doc.stage} {doc.year} is given twice (also in "
                                                 f"{seen[m.graph_iri]})")
            seen[m.graph_iri] = doc.file
            out.append(m)
            progress.advance()
        out.append(link_budget_items(budgets, vocab, linker))
        progress.advance()
    return out


__all__ = ["OtherGraphs", "map_others", "KIND"]
