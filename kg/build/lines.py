"""Graphs' N-Triples read only when something needs them (issue 18).

A rebuild that adds one plan to 1,000 keeps almost every graph as it was: it validates, dumps and
loads only those that changed, and counts the others from what it kept beside them. The lines of
a graph kept in the cache (a plan's unit, :mod:`plankg.build.plan_units`; an alignment output or a
budget's graph, :mod:`plankg.build.graph_files`) are therefore a :class:`Deferred`: their length
and number of lines are known, the text is read when first asked for. :class:`Lines` maps graph
IRIs to such lines and to lines in memory alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from plankg.errors import PlanKGError


class Deferred:
    """``size`` characters in ``count`` lines, which ``read()`` gives when first asked for
    (:meth:`text`); a read that gives other lines than announced is an error (the file ``what``
    names changed since it was written), raised as ``read`` raises it or as
    :class:`plankg.errors.PlanKGError`."""

    __slots__ = ("size", "count", "_read", "_text", "what")

    def __init__(self, size: int, count: int, read: Callable[[], str], what: str = "the cache"):
        self.size, self.count, self._read, self.what = size, count, read, what
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            text = self._read()
            if len(text) != self.size or text.count("\n") != self.count:
                raise PlanKGError(f"the lines kept in {self.what} changed since they were written: build again")
            self._text = text
        return self._text

    def __eq__(self, other) -> bool:
        """The same lines (read to compare)."""
        if isinstance(other, (str, Deferred)):
            return self.text() == text_of(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Deferred({self.what}: {self.size} characters, {self.count} lines)"

    def __add__(self, tail: str) -> Deferred:
        """These lines, then ``tail``."""
        return Deferred(self.size + len(tail), self.count + tail.count("\n"), lambda: self.text() + tail, self.what)


Text = str | Deferred


def text_of(lines: Text) -> str:
    return lines.text() if isinstance(lines, Deferred) else lines


def size_of(lines: Text) -> int:
    return lines.size if isinstance(lines, Deferred) else len(lines)


def count_of(lines: Text) -> int:
    return lines.count if isinstance(lines, Deferred) else lines.count("\n")


class Lines(Mapping[str, str]):
    """Graph IRI → its N-Triples, each read when first asked for (:class:`Deferred`); :meth:`size`
    and :meth:`triples` without reading."""

    def __init__(self, items: Mapping[str, Text] | None = None):
        self._items: dict[str, Text] = dict(items or {})

    def __setitem__(self, iri: str, lines: Text) -> None:
        self._items[iri] = lines

    def __getitem__(self, iri: str) -> str:
        return text_of(self._items[iri])

    def __contains__(self, iri) -> bool:
        return iri in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def size(self, iri: str) -> int:
        return size_of(self._items[iri])

    def triples(self, iri: str) -> int:
        return count_of(self._items[iri])

    def ordered(self, iris: Sequence[str]) -> Texts:
        """The lines of the graphs ``iris``, in that order."""
        return Texts(self, list(iris))

    def raw(self, iri: str) -> Text:
        """Graph ``iri``'s lines as kept: a :class:`Deferred` not read yet, or text."""
        return self._items[iri]

    def read(self, iri: str) -> bool:
        """Whether graph ``iri``'s lines are in memory (given as text, or read already)."""
        found = self._items[iri]
        return not isinstance(found, Deferred) or found._text is not None


class Texts(Sequence[str]):
    """The lines of some graphs of a :class:`Lines`, in an order: each read when asked for."""

    def __init__(self, lines: Lines, iris: list[str]):
        self.lines, self.iris = lines, iris

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Texts(self.lines, self.iris[i])
        return self.lines[self.iris[i]]

    def __len__(self) -> int:
        return len(self.iris)

    def size(self, i: int) -> int:
        return self.lines.size(self.iris[i])

    def reordered(self, order: Sequence[int]) -> Texts:
        """These lines in the order of the places ``order``."""
        return Texts(self.lines, [self.iris[i] for i in order])


def sizes(texts: Sequence[str]) -> list[int]:
    """The length of each of ``texts``, without reading them when they are :class:`Texts`."""
    return [texts.size(i) for i in range(len(texts))] if isinstance(texts, Texts) else [len(t) for t in texts]


def reordered(texts: Sequence[str], order: Sequence[int]) -> Sequence[str]:
    """``texts`` in the order of the places ``order``, unread when they are :class:`Texts`."""
    return texts.reordered(order) if isinstance(texts, Texts) else [texts[i] for i in order]


def triples(lines: Mapping[str, str], iri: str) -> int:
    """The number of triples of graph ``iri`` of ``lines``, without reading it when it is kept (:class:`Lines`)."""
    return lines.triples(iri) if isinstance(lines, Lines) else lines[iri].count("\n")


__all__ = ["Deferred", "Text", "Lines", "Texts", "text_of", "size_of", "count_of", "sizes", "reordered", "triples"]
