"""The result of mapping one source (a plan, a budget document, …) to RDF: one named graph.

Every mapping module returns a :class:`MappedGraph`, so the pipeline can validate, count and
publish graphs without knowing what they were made from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import rdflib

from plankg.build.lines import Deferred

if TYPE_CHECKING:  # pragma: no cover
    from plankg.build.facts import Facts


@dataclass(frozen=True)
class MappedGraph:
    """One named graph made from one source, with what the mapping counted and noticed.

    ``made`` is the graph, or its N-Triples as :mod:`plankg.build.ntriples` writes them (a mapping
    that writes its lines itself, such as alignment's: :attr:`graph` is then read from them when
    asked for). ``kind`` says what the source was (``"budget"``); ``counts`` are the mapping's own
    tallies, by name (e.g. ``{"appropriations": 1177, "line items": 2719, "line items unparsed": 13}``);
    ``warnings`` are findings that did not stop the mapping, each a sentence naming the source;
    ``known_digest``, :func:`plankg.build.ntriples.digest` of the lines when the mapping kept it
    (alignment's outputs, :mod:`plankg.build.align.outputs`), so the pipeline need not compute it;
    ``facts``, what the metadata reads of it (:mod:`plankg.build.facts`) when kept with it.
    """

    graph_iri: str
    made: rdflib.Graph | str | Deferred  # Deferred: lines kept in a file, read when asked for (plankg.build.lines)
    kind: str
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    known_digest: str | None = None
    facts: Facts | None = None

    @cached_property
    def graph(self) -> rdflib.Graph:
        if isinstance(self.made, rdflib.Graph):
            return self.made
        return rdflib.Graph().parse(data=self.ntriples(), format="nt")

    def as_lines(self) -> MappedGraph:
        """This graph made as its N-Triples, with their digest (a graph it was made as stays its :attr:`graph`)."""
        from plankg.build.ntriples import digest

        text = self.ntriples()
        out = MappedGraph(self.graph_iri, text, self.kind, self.counts, self.warnings, self.known_digest or digest(text),
                          self.facts)
        if isinstance(self.made, rdflib.Graph):
            out.__dict__["graph"] = self.made  # the cached property: not parsed back from the lines
        return out

    def ntriples(self) -> str:
        """The graph as N-Triples (:func:`plankg.build.ntriples.ntriples`)."""
        from plankg.build.ntriples import ntriples

        if isinstance(self.made, Deferred):
            return self.made.text()
        return self.made if isinstance(self.made, str) else ntriples(self.made)

    def lines(self) -> str | Deferred:
        """:meth:`ntriples`, or, when kept in a file (:mod:`plankg.build.graph_files`), those lines unread."""
        return self.made if isinstance(self.made, Deferred) else self.ntriples()


__all__ = ["MappedGraph"]
