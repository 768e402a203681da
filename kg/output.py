"""Writing query results and store exports for the CLI.

Output is streamed: SELECT rows go to ``out`` as they come (pyoxigraph's ``serialize`` for
json/xml/csv/tsv, one ``write`` per row for the table), never collected in memory.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, Final

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    serialize,
)

from plankg import formats
from plankg.errors import PlanKGError, QueryError
from plankg.namespaces import DEFAULT_BASE, PREFIXES
from plankg.store import UNION_TRIPLES_QUERY, GraphStore, QueryResult

SELECT: Final = "SELECT"
ASK: Final = "ASK"
GRAPH: Final = "CONSTRUCT/DESCRIBE"
TABLE: Final = formats.CLI_TABLE
"""The human format: tab-separated plain values for SELECT, ``true``/``false`` for ASK."""

_SOLUTION_FORMATS: Final[Mapping[str, QueryResultsFormat | None]] = MappingProxyType({
    **{name: f.results_format for name, f in formats.cli_formats(formats.RESULTS).items()}, TABLE: None})
_GRAPH_FORMATS: Final[Mapping[str, RdfFormat]] = MappingProxyType({
    name: f.rdf_format for name, f in formats.cli_formats(formats.TRIPLES, formats.QUADS).items()})

FORMATS: Final[Mapping[str, Mapping[str, QueryResultsFormat | RdfFormat | None]]] = MappingProxyType({
    SELECT: _SOLUTION_FORMATS,
    ASK: _SOLUTION_FORMATS,
    GRAPH: _GRAPH_FORMATS,
})
"""Result kind → format name → pyoxigraph format (None: :data:`TABLE`), from :data:`plankg.formats.TABLE`.
``xml`` is SPARQL results XML for SELECT/ASK and RDF/XML for CONSTRUCT/DESCRIBE."""

DEFAULT_FORMATS: Final[Mapping[str, str]] = MappingProxyType({SELECT: TABLE, ASK: TABLE, GRAPH: "ttl"})

EXPORT_FORMATS: Final[Mapping[str, RdfFormat]] = MappingProxyType({
    name: f.pyoxigraph for name, f in formats.export_formats().items() if isinstance(f.pyoxigraph, RdfFormat)})
"""The RDF exports of the whole store (the rows with a pyoxigraph ``RdfFormat``). The quad formats
(nquads, trig) keep the named graphs. The others (ttl, jsonld) are the union
of all graphs as triples, each triple once: the graph names are DROPPED. (pyoxigraph 0.5 could
write a JSON-LD dataset, named graphs as top-level ``{"@id": graph, "@graph": [...]}`` objects,
but common readers such as ``rdflib.Graph().parse`` see no triples in it; use nquads/trig for
graphs.) The first is the default."""
UNION_EXPORTS: Final = frozenset(name for name, f in formats.export_formats().items() if f.carries == formats.TRIPLES)
PLAN_EXPORTS: Final = frozenset(name for name, f in formats.export_formats().items()
                                if f.carries == formats.PLAN_DOCUMENT)
"""Exports of one plan per document, not RDF: ``stratml`` (:mod:`plankg.stratml`)."""

_TABLE_ESCAPES: Final = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def result_kind(result: QueryResult) -> str:
    """:data:`SELECT`, :data:`ASK` or :data:`GRAPH`."""
    if isinstance(result, QuerySolutions):
        return SELECT
    if isinstance(result, QueryBoolean):
        return ASK
    if isinstance(result, QueryTriples):
        return GRAPH
    raise TypeError(f"not a pyoxigraph query result: {type(result).__name__}")


def write_results(result: QueryResult, out: BinaryIO, fmt: str | None = None) -> None:
    """Write ``result`` to ``out`` in ``fmt`` (None: the default for the result kind).

    :class:`QueryError` if ``fmt`` does not fit the kind of result.
    """
    kind = result_kind(result)
    name = DEFAULT_FORMATS[kind] if fmt is None else fmt
    target = _format_for(kind, name)
    if isinstance(result, QueryTriples):
        serialize(result, out, target, prefixes=PREFIXES)
    elif target is not None:
        result.serialize(out, target)
    elif isinstance(result, QueryBoolean):
        out.write(b"true\n" if result else b"false\n")
    else:
        write_table(result, out)


def print_query(text: str, location, fmt: str | None, union: bool = True) -> None:
    """Evaluate ``text`` on the store at ``location`` (:func:`plankg.store.open_location`) and write
    the result to stdout in ``fmt`` (``md``: :func:`write_markdown`), parsed and evaluated on a
    thread with a big enough stack (:func:`plankg.sparql.limits.on_big_stack`)."""
    from plankg.sparql.limits import on_big_stack
    from plankg.store import open_location

    def run() -> None:
        with open_location(location) as kg:
            result = kg.query(text, union_default_graph=union)
            try:
                out = sys.stdout.buffer
                write_markdown(result, out) if fmt == "md" else write_results(result, out, fmt)
                out.flush()
            except BaseException as e:  # the frames that hold the result let go of it, here: pyoxigraph's
                traceback.clear_frames(e.__traceback__)  # results must be dropped on the thread that made
                raise  # them, and the error's traceback reaches the caller's thread
            finally:
                del result

    on_big_stack(run)


def write_markdown(solutions: QuerySolutions, out: BinaryIO) -> None:
    """A Markdown (GFM) table: the plain values of :func:`write_table`, ``|`` escaped."""
    variables = [v.value for v in solutions.variables]

    def line(cells) -> bytes:
        return ("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n").encode("utf-8")

    out.write(line(variables))
    out.write(line("---" for _ in variables))
    for row in solutions:
        out.write(line(_plain(row[v]).translate(_TABLE_ESCAPES) for v in solutions.variables))


def write_table(solutions: QuerySolutions, out: BinaryIO) -> None:
    """A header of variable names, then one line per row; tab-separated plain values.

    IRIs are written as-is, literals as their lexical form (no quotes, datatype or
    language), blank nodes as ``_:id``, unbound as empty; tab, LF and CR inside a value
    become ``\\t``, ``\\n``, ``\\r``.
    """
    variables = solutions.variables
    out.write(_table_line(v.value for v in variables))
    for row in solutions:
        out.write(_table_line(_plain(row[v]) for v in variables))


def export(store: GraphStore, out: BinaryIO, fmt: str, plan: str | None = None, base: str = DEFAULT_BASE) -> None:
    """Dump the whole ``store`` to ``out`` in an :data:`EXPORT_FORMATS` format (streamed), or write
    one plan in a :data:`PLAN_EXPORTS` format: ``plan`` (its IRI or its path under ``base``), else
    the store's only plan (:class:`PlanKGError` if it holds several)."""
    if fmt in PLAN_EXPORTS:
        from plankg import stratml

        select = stratml.store_select(store)
        chosen = stratml.choose(select, plan, base)
        if len(chosen) > 1:
            raise PlanKGError(f"the store holds {len(chosen)} plans ({', '.join(p.iri for p in chosen)}): choose "
                              f"one with --plan, or give -o an existing directory to write a file for each")
        out.write(stratml.to_bytes(select, chosen[0].iri))
        return
    try:
        target = EXPORT_FORMATS[fmt]
    except KeyError:
        raise PlanKGError(f"unknown export format {fmt!r}; use one of {', '.join(formats.export_formats())}") from None
    if plan is not None:
        raise PlanKGError(f"--plan is for {', '.join(sorted(PLAN_EXPORTS))}; {fmt} exports the whole store")
    if fmt in UNION_EXPORTS:
        serialize(store.query(UNION_TRIPLES_QUERY), out, target, prefixes=PREFIXES)
    else:
        store.dump(out, target)


def export_to(location, fmt: str, output: Path | None, plan: str | None = None, base: str = DEFAULT_BASE) -> list[Path]:
    """``plankg export``: :func:`export` of the store at ``location`` to stdout (``output`` None) or
    to the file ``output``; for a :data:`PLAN_EXPORTS` format, into an existing directory ``output``
    one file per plan (or for ``plan``), named ``mol-108.stratml.xml``. Files are written whole or
    not at all (``<name>.part``, then renamed). Returns the files written."""
    from plankg.store import open_location

    with open_location(location) as kg:
        if output is None:
            export(kg, sys.stdout.buffer, fmt, plan, base)
            sys.stdout.buffer.flush()
            return []
        if not output.is_dir():
            _write_whole(output, lambda f: export(kg, f, fmt, plan, base))
            return [output]
        if fmt not in PLAN_EXPORTS:
            raise PlanKGError(f"{output} is a directory: the {fmt} export is one file, give its name")
        from plankg import stratml

        select = stratml.store_select(kg)
        written = []
        for ref in stratml.choose(select, plan, base):
            _write_whole(output / ref.file_name, lambda f: f.write(stratml.to_bytes(select, ref.iri)))
            written.append(output / ref.file_name)
        return written


def _write_whole(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` into ``<path>.part``, then rename it to ``path``; nothing left behind if it fails."""
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as f:
            write(f)
        tmp.replace(path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise PlanKGError(f"{path}: cannot write ({e.strerror or e})") from None
        raise


def _format_for(kind: str, name: str) -> QueryResultsFormat | RdfFormat | None:
    """The pyoxigraph format called ``name`` for ``kind``, or QueryError naming the choices."""
    offered = FORMATS[kind]
    if name in offered:
        return offered[name]
    choices = f"{kind} results can be {', '.join(offered)}"
    owners = [k for k in (SELECT, ASK, GRAPH) if name in FORMATS[k]]
    if owners:
        raise QueryError(f"format {name!r} is for {'/'.join(owners)} results; {choices}")
    raise QueryError(f"unknown format {name!r}; {choices}")


def _plain(term: NamedNode | BlankNode | Literal | object | None) -> str:
    """The plain text of one value in a table."""
    if term is None:
        return ""
    if isinstance(term, (NamedNode, Literal)):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return str(term)  # RDF 1.2 triple terms


def _table_line(values: Iterable[str]) -> bytes:
    return ("\t".join(v.translate(_TABLE_ESCAPES) for v in values) + "\n").encode("utf-8")
