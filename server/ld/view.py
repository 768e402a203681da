"""From triples to what a linked-data page shows: labels in the page's language, links, rows.

Nothing here escapes HTML: it returns plain strings and the templates (Jinja autoescape)
escape every one of them. Hrefs are made only from IRIs under BASE (local ``/id/…`` links),
ontology terms (``/ontology#Term``) and ``http``/``https`` IRIs; any other scheme is shown as
text, never as a link.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from flask import current_app, url_for
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from plankg.build.dumps import DUMPS_DIR
from plankg.build.meta import SPARQL_PATH, site_for
from plankg.namespaces import ONTOLOGY_IRI, PLAN, RDFS, XSD
from plankg.server.ui import i18n
from plankg.server.ld.data import RDF_TYPE, TURTLE_PREFIXES, Summary
from plankg.server.ld.labels import labels_of

LINK_SCHEMES = ("http", "https")
MAX_BNODE_NESTING = 3
HIDDEN_DATATYPES = (XSD + "string", XSD + "integer", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")
SORTS_AFTER = {PLAN + "endLine": PLAN + "startLine"}
"""Properties listed right after another one, whatever their labels (a range starts before it ends)."""



def pick(labels: Iterable[Literal], lang: str) -> Literal | None:
    """The label to show in ``lang``: that language, else zh-Hant, else English, else any."""
    labels = list(labels)
    for tag in (i18n.rdf_lang(lang), "zh-hant", "en", ""):
        found = sorted((l for l in labels if (l.language or "").lower().startswith(tag)), key=lambda l: l.value)
        if found:
            return found[0]
    return labels[0] if labels else None


def curie(iri: str) -> str:
    """``iri`` as prefix:local when a known prefix fits, else the IRI."""
    for prefix, ns in sorted(TURTLE_PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def natural_key(text: str) -> list:
    """Sort key that orders ``goal/2`` before ``goal/10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


class View:
    """Renders terms for one page: the id base, the page language and the known summaries."""

    def __init__(self, base: str, lang: str, known: Mapping[str, Summary]):
        self.base = base
        self.lang = lang
        self.known = dict(known)

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` goes: local for BASE, ontology and site IRIs, else the IRI (http/s only).

        Site IRIs are the dumps and the endpoint that the metadata names absolutely
        (:func:`plankg.build.meta.site_for`); they are linked on this server so that they work here.
        """
        if iri.startswith(self.base) and len(iri) > len(self.base):
            return url_for("ld.resource", path=iri[len(self.base):])
        local = self._site_local(iri)
        if local is not None:
            return local
        if iri == ONTOLOGY_IRI:
            return url_for("ld.ontology")
        if iri.startswith(PLAN):
            return url_for("ld.ontology") + "#" + iri[len(PLAN):]
        return iri if urlsplit(iri).scheme in LINK_SCHEMES else None

    def _site_local(self, iri: str) -> str | None:
        site = site_for(self.base)
        rest = iri[len(site):] if iri.startswith(site) else None
        if rest is None:
            return None
        if rest.startswith(DUMPS_DIR + "/") and "/" not in rest[len(DUMPS_DIR) + 1:]:
            return url_for("ld.dump", name=rest[len(DUMPS_DIR) + 1:])
        for path, endpoint in (("", "ui.home"), (SPARQL_PATH, "sparql.endpoint")):
            if rest == path and endpoint in current_app.view_functions:
                return url_for(endpoint)
        return None

    def short(self, iri: str) -> str:
        """A label-less IRI as text: its path under BASE, or its prefixed name."""
        return iri[len(self.base):] if iri.startswith(self.base) and len(iri) > len(self.base) else curie(iri)

    def label(self, iri: str) -> str | None:
        """The label of ``iri`` in the page's language: from the store, else the shipped names of
        other vocabularies' terms (:mod:`plankg.server.ld.labels`)."""
        summary = self.known.get(iri)
        found = pick(summary.labels, self.lang) if summary and summary.labels else None
        if found is None and (shipped := labels_of(iri)):
            found = pick(shipped, self.lang)
        return found.value if found is not None else None

    def link(self, iri: str) -> dict:
        """An IRI as a link: text is its label in the page language, or its prefixed name."""
        return {"kind": "iri", "iri": iri, "href": self.href(iri), "text": self.label(iri) or self.short(iri),
                "curie": curie(iri)}

    def value(self, term, by_subject: Mapping[str, list[Triple]], depth: int = 0) -> dict:
        """A triple's object for display; blank nodes are shown nested (their CBD rows)."""
        if isinstance(term, NamedNode):
            return self.link(term.value)
        if isinstance(term, BlankNode):
            rows = self.rows(by_subject.get("_:" + term.value, []), by_subject, depth + 1)
            return {"kind": "bnode", "rows": rows if depth < MAX_BNODE_NESTING else []}
        datatype = term.datatype.value if term.datatype is not None else None
        return {"kind": "literal", "text": term.value, "lang": term.language or None,
                "lang_name": i18n.language_name(term.language, self.lang),
                "datatype": None if datatype in HIDDEN_DATATYPES else curie(datatype) if datatype else None}

    def rows(self, triples: Iterable[Triple], by_subject: Mapping[str, list[Triple]], depth: int = 0) -> list[dict]:
        """Property rows (predicate, values) of ``triples``: type first, then labels, then by name."""
        grouped: dict[str, list] = defaultdict(list)
        for tr in triples:
            grouped[tr.predicate.value].append(tr.object)
        order = {RDF_TYPE: 0, RDFS + "label": 1}
        out = []
        def object_key(o) -> tuple:
            if isinstance(o, BlankNode):  # by content: blank node labels are arbitrary
                return (1, sorted(str(tr.object) for tr in by_subject.get("_:" + o.value, ())))
            return (0, natural_key(str(o.value)))

        def sort_text(p: str) -> str:
            return sort_text(SORTS_AFTER[p]) + "\uffff" if p in SORTS_AFTER else self.link(p)["text"].lower()

        for predicate in sorted(grouped, key=lambda p: (order.get(p, 2), sort_text(p))):
            values = sorted(grouped[predicate], key=object_key)
            out.append({"predicate": self.link(predicate),
                        "objects": [self.value(v, {} if depth >= MAX_BNODE_NESTING else by_subject, depth)
                                   for v in values]})
        return out

    def ordinal_text(self, kind: str | None, ordinal: int | None) -> str:
        """How a plan numbers a node: 一、 for goals, (一) for strategies, 1. otherwise."""
        if ordinal is None:
            return ""
        if self.lang == i18n.ZH and kind == PLAN + "Goal":
            return i18n.goal_number(ordinal)
        if self.lang == i18n.ZH and kind == PLAN + "Strategy":
            return i18n.strategy_number(ordinal)
        return f"{ordinal}."

    def node(self, summary: Summary) -> dict:
        """A plan node as a link with its kind and number (for breadcrumbs and lists)."""
        kind = next((t for t in summary.types if t.startswith(PLAN)), None)
        return {**self.link(summary.iri), "kind": self.label(kind) if kind else None,
                "number": self.ordinal_text(kind, summary.ordinal), "ordinal": summary.ordinal}


def marked_segments(text: str, matches: Iterable[tuple[int, int, dict]]) -> list[dict]:
    """``text`` cut into plain and matched pieces; ``matches`` are (offset, length, target link).

    Offsets count code points (like ``plan:matchOffset``); overlapping or out-of-range
    matches are skipped.
    """
    out, pos = [], 0
    for offset, length, target in sorted(matches, key=lambda m: (m[0], -m[1])):
        if offset < pos or length <= 0 or offset + length > len(text):
            continue
        if offset > pos:
            out.append({"text": text[pos:offset], "target": None})
        out.append({"text": text[offset:offset + length], "target": target})
        pos = offset + length
    if pos < len(text):
        out.append({"text": text[pos:], "target": None})
    return out


__all__ = ["View", "pick", "curie", "natural_key", "marked_segments"]
