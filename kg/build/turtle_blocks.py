"""The metadata graph's Turtle (``catalog.ttl``) as rdflib writes it, written one subject at a time,
each subject's block kept by content (issue 18).

rdflib's Turtle writer took 2 s for the 31,000 triples of the metadata of 1,000 plans, most of it
finding prefixed names (its namespace trie grows with every namespace of the build's IRIs), and
a rebuild that adds one plan changes few of the subjects it describes. rdflib writes a graph as
the ``@prefix`` lines of the prefixes it uses, sorted by prefix, a blank line, then each subject's
block and a blank line: the instances of ``rdfs:Class`` first, then the other subjects by (a blank
node or not, how often it is an object, the subject); a blank node that is an object once is
written inside the block of the subject it is the object of (``[ … ]``). A block therefore depends
only on its subject's triples, the blank nodes written inside it and the prefixes bound.

So, when every blank node is an object exactly once, is reached from a subject that is not a
blank node and is no ``rdfs:Class``, every predicate has a prefix, and no triple makes an RDF list
(which rdflib writes as ``( … )``), :func:`turtle`
writes each block alone (rdflib, a graph of that subject's triples and its blank nodes') and keeps
it in the cache folder ``turtle`` (:mod:`plankg.build.cache`) under the digest of those triples
(a blank node by what it holds: its label is new in every build), in one file per set of prefixes,
rdflib version and this code; the file is those blocks in rdflib's order, after the prefix lines
the blocks use. It is rdflib's file byte for byte (tests/test_turtle_blocks.py compares them);
any other graph is written by rdflib whole.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.serializers.turtle import TurtleSerializer

from plankg.build import cache

KIND = "turtle"
NAMES = "turtle names 1"  # what a file of prefixed names says it is (plankg.build.cache.write_marshal)


def turtle(graph: Graph) -> bytes:
    """``graph`` in Turtle (UTF-8), as ``graph.serialize(format="turtle")`` writes it."""
    layout = _layout(graph)
    if layout is None:
        return graph.serialize(format="turtle", encoding="utf-8")
    order, groups = layout
    path = _path(graph)
    known = _read(path)
    keys = [_key(subject, groups) for subject in order]
    todo = [(s, k) for s, k in zip(order, keys) if k not in known]
    names = _path(graph, "names", ".bin") if todo else None
    writer = _Blocks(graph, (cache.read_marshal(names, NAMES) if names else None) or {})
    made = writer.blocks(todo, groups)
    used = {k: known.get(k) or made[k] for k in keys}
    if path is not None and used.keys() != known.keys():
        cache.write(path, json.dumps(used, ensure_ascii=False))
    if names is not None and writer.named.keys() != writer.names.keys():  # those this build asked for
        cache.write_marshal(names, NAMES, writer.named)
    prefixes = sorted({tuple(p) for _, names in used.values() for p in names})
    head = "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in prefixes)
    return (head + "".join(used[k][0] for k in keys) + "\n").encode("utf-8")


class _Blocks(TurtleSerializer):
    """rdflib's Turtle writer, one subject's block at a time, with the prefixes each block uses; the
    prefixed name of each IRI as it found it before (kept beside the blocks, with the same prefixes:
    finding them was most of the time it took to write the catalog's dataset block, which changes
    at every build)."""

    def __init__(self, graph: Graph, names: dict[str, list]):
        super().__init__(graph)
        self.names = names  # what get_pname gave before (with these prefixes): "0"/"1" (gen_prefix) + IRI -> [name, namespace]
        self.named: dict[str, list] = {}  # what it gave in this build

    def blocks(self, todo: list[tuple], groups: dict) -> dict[str, list]:
        self.reset()
        self.base = None
        out = {}
        for subject, key in todo:
            self._used: set[tuple[str, str]] = set()
            stack = [subject]
            while stack:
                node = stack.pop()
                for p, o in groups[node]:
                    self.preprocessTriple((node, p, o))
                    if isinstance(o, BNode):
                        stack.append(o)
            self.stream = io.BytesIO()
            self.statement(subject)
            self.write("\n")
            out[key] = [self.stream.getvalue().decode("utf-8"), sorted(self._used)]
        self.stream = None
        return out

    def get_pname(self, uri, gen_prefix: bool = True):
        key = f"{int(gen_prefix)}{uri}" if type(uri) is URIRef else None
        kept = self.names.get(key) if key is not None else None
        if kept is not None:
            name, namespace = kept
            if name is None:
                self.named[key] = kept
                return None
            prefix = name.split(":", 1)[0]
            if self.addNamespace(prefix, URIRef(namespace)) == prefix:  # as rdflib's own would (no prefix rewritten)
                self._used.add((prefix, namespace))
                self.named[key] = kept
                return name
        name = super().get_pname(uri, gen_prefix)
        namespace = None
        if name is not None:
            prefix = name.split(":", 1)[0]
            namespace = str(self.namespaces[prefix])
            self._used.add((prefix, namespace))
        if key is not None:
            self.named[key] = [name, namespace]
        return name


def _layout(graph: Graph) -> tuple[list, dict] | None:
    """The subjects that are not blank nodes in rdflib's order, and each node's (predicate, object)
    pairs; None when rdflib would write the graph otherwise than one block per such subject."""
    groups: dict = defaultdict(list)
    refs: Counter = Counter()
    lists = {RDF.first, RDF.rest}
    for s, p, o in graph:
        if p in lists:
            return None
        groups[s].append((p, o))
        refs[o] += 1
    for p in {p for pairs in groups.values() for p, _ in pairs}:
        try:
            graph.namespace_manager.compute_qname(p, generate=False)
        except (KeyError, ValueError):
            return None  # rdflib would make a prefix up for it, numbered in the order it meets them
    blank = [s for s in groups if isinstance(s, BNode)]
    if any(refs[b] != 1 for b in blank) or any(isinstance(o, BNode) and o not in groups for o in refs):
        return None
    reached, stack = set(), [o for s in groups if not isinstance(s, BNode) for _, o in groups[s] if isinstance(o, BNode)]
    while stack:
        b = stack.pop()
        if b in reached:
            return None
        reached.add(b)
        stack.extend(o for _, o in groups[b] if isinstance(o, BNode))
    if len(reached) != len(blank):
        return None  # a cycle of blank nodes, or one that is no subject's object
    classes = sorted(set(graph.subjects(RDF.type, RDFS.Class)))
    if any(isinstance(s, BNode) for s in classes):
        return None  # rdflib writes it on its own, with its label
    top = set(classes)
    rest = sorted((refs[s], str(s), s) for s in groups if not isinstance(s, BNode) and s not in top)
    return classes + [s for _, _, s in rest], groups


def _key(subject, groups: dict) -> str:
    return hashlib.sha256(_canonical(subject, groups).encode("utf-8")).hexdigest()


def _canonical(node, groups: dict) -> str:
    """``node``'s triples (a blank node's, and those of the blank nodes it holds) as one string."""
    return repr(("" if isinstance(node, BNode) else str(node),
                 sorted(repr((str(p), _term(o, groups))) for p, o in groups[node])))


def _term(o, groups: dict) -> tuple:
    if isinstance(o, BNode):
        return ("b", _canonical(o, groups))
    if isinstance(o, Literal):
        return ("l", str(o), o.language or "", str(o.datatype or ""))
    return ("u", str(o))


def _path(graph: Graph, name: str = "blocks", suffix: str = ".json") -> Path | None:
    """The file of the blocks (or the prefixed ``names``) written with ``graph``'s prefixes, this
    rdflib and this code."""
    folder = cache.folder(KIND)
    if folder is None:
        return None
    bindings = sorted((prefix, str(ns)) for prefix, ns in graph.namespace_manager.namespaces())
    h = hashlib.sha256(json.dumps([bindings, metadata.version("rdflib")]).encode())
    h.update(Path(__file__).read_bytes())
    return folder / f"{name}-{h.hexdigest()}{suffix}"


def _read(path: Path | None) -> dict[str, list]:
    """The blocks kept in ``path``: key → [block, prefix lines]; none that cannot be read."""
    if path is None:
        return {}
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(known, dict):
        return {}
    return {k: v for k, v in known.items() if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
            and isinstance(v[1], list) and all(isinstance(n, list) and len(n) == 2 and all(isinstance(x, str) for x in n)
                                               for n in v[1])}


__all__ = ["turtle", "KIND"]
