"""The model of a resource's HTML page, assembled from its description and a few summaries.

:func:`build` returns plain dicts and lists for ``ld_resource.html``: the title, types, the
breadcrumb from the plan down to the node, the source line, the laws and target groups with the
matched words (and the label with those words marked), the children in ordinal order, the plan
nodes that cite a vocabulary term grouped by kind, all properties and the incoming links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from plankg.hierarchy import DEPTHS, LEVELS
from plankg.namespaces import PLAN, PROV, RDFS
from plankg.server.ld import data as ld_data, extras
from plankg.server.ld.data import LABEL_PREDICATES, RDF_TYPE, Summary
from plankg.server.ld.view import View, marked_segments, natural_key, pick

MAX_INCOMING_SHOWN = 300
EVIDENCE_SEGMENT = "/link/"
CHILD_PREDICATES = tuple(PLAN + level.has for level in LEVELS)
CITING_PREDICATES = tuple(PLAN + p for p in ("citesLaw", "targetGroup", "category", "responsibleUnit", "follows"))
LINK_PREDICATES = (PLAN + "citesLaw", PLAN + "targetGroup")
SEE_ALSO = (RDFS + "seeAlso", "http://xmlns.com/foaf/0.1/homepage")
ALIGNED = (PLAN + "alignedFrom", PLAN + "alignedTo")
"""An alignment's two sides (plankg.build.align): a strategy's or a program's page lists them."""
EVIDENCE = PLAN + "hasLinkEvidence"
SHOWN_IN_SECTIONS = frozenset((*CHILD_PREDICATES, *LINK_PREDICATES, EVIDENCE, PROV + "wasDerivedFrom", *SEE_ALSO))
"""Outgoing properties a section of the page shows (children, links with their words, source,
see also): not repeated as property rows."""
SHOWN_AS_INCOMING = frozenset((*CITING_PREDICATES, *ALIGNED, PLAN + "linkTarget"))
"""Incoming properties a section shows (cited by, alignments, evidence words): not repeated as rows."""
CONTEXT_CHARS = 12
"""Characters of the text shown on each side of matched words."""
DEPTH = {PLAN + cls: d for cls, d in DEPTHS.items()}
"""How deep each kind of plan node sits under its plan (orders the breadcrumb)."""


def build(iri: str, triples: list[Triple], base: str, lang: str) -> dict:
    """The page model of ``iri`` from its description ``triples``."""
    me = NamedNode(iri)
    outgoing = [tr for tr in triples if tr.subject == me]
    incoming = [tr for tr in triples if tr.object == me and tr.subject != me]
    by_subject: dict[str, list[Triple]] = defaultdict(list)
    for tr in triples:
        if isinstance(tr.subject, BlankNode):
            by_subject["_:" + tr.subject.value].append(tr)

    parents = ld_data.ancestors(iri)
    near = {iri} | {p.iri for p in parents}
    near |= {tr.predicate.value for tr in triples}
    near |= {tr.object.value for tr in triples if isinstance(tr.object, NamedNode)}
    near |= {tr.subject.value for tr in incoming}
    known = ld_data.summaries(near)
    known.update({p.iri: p for p in parents})
    rollup = extras.rolled_up(iri)
    near |= {r["target"] for r in rollup} | {r["child"] for r in rollup} | {r["predicate"] for r in rollup}
    near -= set(known)
    known.update(ld_data.summaries(near))
    second = {t for s in known.values() for t in s.types} | {
        v.value for s in known.values() for p in (PLAN + "linkTarget", PLAN + "linkProperty", *ALIGNED)
        for v in s.values.get(p, ()) if isinstance(v, NamedNode)}
    known.update(ld_data.summaries(second - set(known)))
    view = View(base, lang, known)

    labels = [tr.object for tr in outgoing if tr.predicate.value in LABEL_PREDICATES and isinstance(tr.object, Literal)]
    title = pick(labels, lang)
    others = sorted({l.value for l in labels if title is None or l.value != title.value})
    evidence = _evidence(outgoing, known, view, title.value if title is not None else "")
    hidden = extras.mirrored(iri, incoming, outgoing)
    other_incoming = [tr for tr in incoming if tr.predicate.value not in SHOWN_AS_INCOMING
                      and (tr.subject.value, tr.predicate.value) not in hidden and EVIDENCE_SEGMENT not in tr.subject.value]
    location = known.get(iri)
    return {
        "iri": iri,
        "title": title.value if title is not None else view.short(iri),
        "title_lang": title.language if title is not None else None,
        "other_labels": others,
        "types": [view.link(tr.object.value) for tr in outgoing if tr.predicate.value == RDF_TYPE
                  and isinstance(tr.object, NamedNode)],
        "path": _path(iri, parents, known, view),
        "sources": _sources(outgoing, known, view),
        "links": evidence,
        "marked": marked_segments(title.value, evidence["spans"]) if title is not None and evidence["spans"] else None,
        "see_also": [view.link(o) for o in dict.fromkeys(tr.object.value for tr in outgoing
                     if tr.predicate.value in SEE_ALSO and isinstance(tr.object, NamedNode))],
        "source_lines": extras.source_lines(iri, _int(location, PLAN + "startLine"), _int(location, PLAN + "endLine"))
        if location is not None and PLAN + "SourceLocation" in location.types else [],
        "rolled_up": _rolled_up(rollup, known, view),
        "children": _children(outgoing, known, view),
        "cited_by": _cited_by(incoming, known, view),
        "alignments": _alignments(iri, incoming, known, view),
        "properties": view.rows([tr for tr in outgoing if tr.predicate.value not in SHOWN_IN_SECTIONS], by_subject),
        "incoming": _incoming(other_incoming, view),
        "incoming_total": len(other_incoming),
    }


def _int(summary: Summary, predicate: str) -> int | None:
    value = summary.literal_value(predicate)
    return int(value) if value is not None and value.isdigit() else None


def _rolled_up(rows: list[dict], known: dict[str, Summary], view: View) -> list[dict]:
    """The laws and target groups of a node's children, by predicate, each with the children
    (numbered as the plan numbers them) that name it."""
    sections: dict[str, dict[str, list[Summary]]] = {p: {} for p in LINK_PREDICATES}
    for r in rows:
        child = known.get(r["child"]) or Summary(r["child"])
        sections.setdefault(r["predicate"], {}).setdefault(r["target"], []).append(child)
    out = []
    for prop, targets in sections.items():
        if targets:
            items = [{"target": view.link(t), "children": [view.node(c) for c in sorted(
                cs, key=lambda c: (c.ordinal is None, c.ordinal or 0, natural_key(c.iri)))]} for t, cs in targets.items()]
            out.append({"predicate": view.link(prop), "items": sorted(items, key=lambda i: i["target"]["text"])})
    return out


def _alignments(iri: str, incoming: list[Triple], known: dict[str, Summary], view: View) -> list[dict]:
    """The computed alignments this node is a side of: from a strategy, its ranked programs; to a
    program, the strategies it may carry; from a program, other agencies' candidate line items.
    Each with the other side, rank, score, whether accepted, and the evidence; accepted first, then
    within the plan before across agencies, then by rank."""
    out = []
    for tr in incoming:
        if tr.predicate.value not in ALIGNED or (a := known.get(tr.subject.value)) is None:
            continue
        other = a.first(ALIGNED[1] if tr.predicate.value == ALIGNED[0] else ALIGNED[0])
        if not isinstance(other, NamedNode):
            continue
        accepted = a.literal_value(PLAN + "accepted") == "true"
        row = {"alignment": view.link(a.iri), "other": view.node(known[other.value]) if other.value in known
               else view.link(other.value), "rank": a.literal_value(PLAN + "rank"),
               "score": a.literal_value(PLAN + "score"), "accepted": accepted,
               "evidence": a.literal_value(PLAN + "evidence"), "outgoing": tr.predicate.value == ALIGNED[0]}
        out.append(row)
    return sorted(out, key=lambda r: (not r["accepted"], "/cross-alignment/" in r["alignment"]["iri"],
                                      int(r["rank"] or 0), r["other"]["iri"]))


def _path(iri: str, parents: list[Summary], known: dict[str, Summary], view: View) -> list[dict]:
    """The breadcrumb: the plan, then each level down to (and including) this node."""
    def depth(s: Summary) -> tuple:
        return (min((DEPTH.get(t, len(DEPTH)) for t in s.types), default=len(DEPTH)), len(s.iri))
    crumbs = [view.node(p) for p in sorted(parents, key=depth)]
    if crumbs and iri in known:
        crumbs.append({**view.node(known[iri]), "current": True})
    return crumbs


def _sources(outgoing: list[Triple], known: dict[str, Summary], view: View) -> list[dict]:
    """The source lines (file:start-end) and source documents this node was derived from."""
    out = []
    for tr in outgoing:
        if tr.predicate.value != PROV + "wasDerivedFrom" or not isinstance(tr.object, NamedNode):
            continue
        s = known.get(tr.object.value)
        file = s.literal_value(PLAN + "sourceFile") if s else None
        start, end = (s.literal_value(PLAN + "startLine"), s.literal_value(PLAN + "endLine")) if s else (None, None)
        if file and start:
            text = f"{file}:{start}" if end in (None, start) else f"{file}:{start}-{end}"
        else:
            text = view.link(tr.object.value)["text"]
        out.append({**view.link(tr.object.value), "text": text})
    return out


def _evidence(outgoing: list[Triple], known: dict[str, Summary], view: View, text_shown: str) -> dict:
    """Linked laws and target groups, each with the words that matched, in their context in
    ``text_shown`` (the node's label) when they are found there at their offset."""
    groups: dict[str, dict[str, list]] = {p: {} for p in LINK_PREDICATES}
    spans = []
    for tr in outgoing:
        if tr.predicate.value in LINK_PREDICATES and isinstance(tr.object, NamedNode):
            groups[tr.predicate.value].setdefault(tr.object.value, [])
        if tr.predicate.value != PLAN + "hasLinkEvidence" or tr.object.value not in known:
            continue
        ev = known[tr.object.value]
        prop, target = ev.literal_value(PLAN + "linkProperty"), ev.literal_value(PLAN + "linkTarget")
        text, offset = ev.literal_value(PLAN + "matchedText"), ev.literal_value(PLAN + "matchOffset")
        if prop not in groups or target is None:
            continue
        match = {"text": text or "", "offset": int(offset) if offset is not None else None, "evidence": ev.iri,
                 "before": "", "after": ""}
        at = match["offset"]
        if text and at is not None and text_shown[at:at + len(text)] == text:
            match["before"] = ("…" if at > CONTEXT_CHARS else "") + text_shown[max(0, at - CONTEXT_CHARS):at]
            end = at + len(text)
            match["after"] = text_shown[end:end + CONTEXT_CHARS] + ("…" if len(text_shown) > end + CONTEXT_CHARS else "")
        groups[prop].setdefault(target, []).append(match)
        if match["offset"] is not None and text:
            spans.append((match["offset"], len(text), view.link(target)))
    sections = []
    for prop, targets in groups.items():
        if targets:
            items = [{"target": view.link(target), "matches": sorted(ms, key=lambda m: (m["offset"] is None, m["offset"] or 0))}
                     for target, ms in targets.items()]
            sections.append({"predicate": view.link(prop), "items": sorted(items, key=lambda i: i["target"]["text"])})
    return {"sections": sections, "spans": spans}


def _children(outgoing: list[Triple], known: dict[str, Summary], view: View) -> list[dict]:
    """Goals, strategies, work plans, programs, activities … of this node, in ordinal order."""
    out = []
    for prop in CHILD_PREDICATES:
        kids = [known.get(tr.object.value) or Summary(tr.object.value) for tr in outgoing
                if tr.predicate.value == prop and isinstance(tr.object, NamedNode)]
        if kids:
            kids.sort(key=lambda s: (s.ordinal is None, s.ordinal or 0, natural_key(s.iri)))
            out.append({"predicate": view.link(prop), "items": [view.node(k) for k in kids]})
    return out


def _cited_by(incoming: list[Triple], known: dict[str, Summary], view: View) -> list[dict]:
    """Plan nodes that cite (or target, are classified by, or follow) this term or document, grouped by kind.

    Each node comes with the words that matched, from the link evidence pointing here
    (``<node>/link/k``, the evidence IRI contract of docs/data-model.md).
    """
    words: dict[str, list[str]] = defaultdict(list)
    for tr in incoming:
        ev = known.get(tr.subject.value)
        if tr.predicate.value == PLAN + "linkTarget" and ev is not None and EVIDENCE_SEGMENT in ev.iri:
            text = ev.literal_value(PLAN + "matchedText")
            if text:
                words[ev.iri.rsplit(EVIDENCE_SEGMENT, 1)[0]].append(text)
    out = []
    for prop in CITING_PREDICATES:
        by_kind: dict[str, list[Summary]] = defaultdict(list)
        for tr in incoming:
            if tr.predicate.value == prop:
                s = known.get(tr.subject.value) or Summary(tr.subject.value)
                by_kind[next((t for t in s.types if t.startswith(PLAN)), "")].append(s)
        if by_kind:
            kinds = sorted(by_kind, key=lambda k: (DEPTH.get(k, len(DEPTH)), k))
            out.append({"predicate": view.link(prop), "total": sum(map(len, by_kind.values())), "kinds": [
                {"kind": view.link(k) if k else None,
                 "items": [{**view.node(s), "number": "", "matched": sorted(set(words.get(s.iri, ())))}
                           for s in sorted(by_kind[k], key=lambda s: natural_key(s.iri))]}
                for k in kinds]})
    return out


def _incoming(incoming: Iterable[Triple], view: View) -> list[dict]:
    """Incoming links as (subject, predicate) rows, grouped by predicate, capped."""
    rows = sorted(incoming, key=lambda tr: (tr.predicate.value, natural_key(tr.subject.value)))
    return [{"subject": view.link(tr.subject.value), "predicate": view.link(tr.predicate.value)}
            for tr in rows[:MAX_INCOMING_SHOWN]]
