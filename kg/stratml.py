"""An annual plan as a StratML Part 1 document (ISO 17469-1, schema version 1.1 of 2014-04-01).

Everything is read from the store with SPARQL (:data:`Select`: the CLI's store or the server's
query executor), so the document says what the endpoint serves; nothing re-reads the plan text.
The XML is written with :mod:`xml.etree.ElementTree` in the namespace :data:`NS`. What maps to
what (docs/stratml.md has the same table with the reasons; "label" is ``rdfs:label``):

* StrategicPlan: Name ← ``dct:title``; Description ← the aims (``plan:hasAim``), if any;
  OtherInformation ← the plan's IRI, the documents it follows (``plan:hasPolicyReference``), its
  key works (``plan:hasKeyWork``).
* Organization ← ``dct:publisher``: Name, Description ← zh-Hant, English ``skos:prefLabel``;
  Acronym ← an upper-case ``skos:altLabel``; Identifier ← ``org-{skos:notation}``; a Stakeholder
  (Organization) per ``plan:responsibleUnit`` of the work plans, in work-plan order.
* Vision ← ``plan:hasVision`` (Description, Identifier ``vision``). No Mission: the graph has none.
* Goal ← ``plan:hasGoal``: Name and Description ← its label (the plan states a goal in one line;
  Description is required); Identifier ``goal-{g}``, SequenceIndicator ``{g}`` (``plan:ordinal``);
  a Stakeholder (Generic_Group) per ``plan:targetGroup`` of the goal or its strategies;
  OtherInformation ← its IRI and source line (``prov:wasDerivedFrom``).
* Objective ← each ``plan:hasStrategy`` of the goal, likewise: ``goal-{g}-strategy-{s}``, ``{g}.{s}``,
  its own target groups. Target groups come in the order the text names them (``plan:matchOffset``).
* Stakeholder: Name, Description ← zh-Hant, English ``skos:prefLabel``.
* AdministrativeInformation: StartDate, EndDate ← 1 January, 31 December of ``plan:fiscalYear``
  (Taiwan's fiscal year is the calendar year, 預算法 Art. 12); PublicationDate ← ``dct:modified`` of
  the dataset whose ``void:subset`` is the plan's graph (the metadata graph: when the store's data
  took this form; the graph has no date of the plan's own publication); Source ← the plan's IRI.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from plankg.errors import PlanKGError
from plankg.iri import named_node
from plankg.namespaces import DCT, PLAN, PROV, RDFS, SKOS

NS: Final = "urn:ISO:std:iso:17469:tech:xsd:stratml_core"
SCHEMA_FILE: Final = "StrategicPlanISOVersion20140401.xsd"
MEDIA_TYPE: Final = "application/xml"  # StratML has no registered media type of its own
SUFFIX: Final = ".stratml.xml"

Select = Callable[[str], Iterable[dict[str, Any]]]
"""Rows of a SELECT query as {variable: pyoxigraph term}, unbound variables absent."""

_PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (
    ("plan", PLAN), ("dct", DCT), ("skos", SKOS), ("rdfs", RDFS), ("prov", PROV),
    ("void", "http://rdfs.org/ns/void#")))
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&-]{1,15}$")
_NOT_NCNAME = re.compile(r"[^A-Za-z0-9._-]+")
_PREAMBLE = {"hasAim": "aim", "hasKeyWork": "key-work", "hasPolicyReference": "follows", "hasVision": "vision"}


@dataclass(frozen=True)
class PlanRef:
    """A plan in the store: its IRI, its publisher's ``skos:notation`` and its ROC year."""

    iri: str
    notation: str
    roc: int

    @property
    def file_name(self) -> str:
        """``mol-108.stratml.xml``: ASCII, safe in a path and a Content-Disposition header."""
        return f"{_NOT_NCNAME.sub('-', self.notation).strip('-.') or 'plan'}-{self.roc}{SUFFIX}"


def store_select(store) -> Select:
    """A :data:`Select` over a :class:`plankg.store.GraphStore` (default graph: the union of all graphs)."""
    def select(query: str) -> list[dict[str, Any]]:
        solutions = store.query(query)
        names = [v.value for v in solutions.variables]
        return [{n: t for n, t in zip(names, (row[v] for v in solutions.variables)) if t is not None}
                for row in solutions]
    return select


def plans(select: Select) -> list[PlanRef]:
    """Every ``plan:AnnualPlan`` of the store, by IRI."""
    rows = _run(select, """SELECT DISTINCT ?plan ?notation ?roc WHERE {
        ?plan a plan:AnnualPlan ; plan:rocYear ?roc ; dct:publisher/skos:notation ?notation }
        ORDER BY ?plan ?notation""")
    found: dict[str, PlanRef] = {}
    for r in rows:
        found.setdefault(_v(r, "plan"), PlanRef(_v(r, "plan"), _v(r, "notation"), int(_v(r, "roc"))))
    return list(found.values())


def choose(select: Select, wanted: str | None, base: str) -> list[PlanRef]:
    """The plan ``wanted`` (its IRI, or its path under ``base``: ``mol/108``), or every plan if None.

    :class:`PlanKGError` naming the plans of the store if there is no such plan, or none at all."""
    found = plans(select)
    if not found:
        raise PlanKGError("the store holds no annual plan (plan:AnnualPlan) to write as StratML")
    if wanted is None:
        return found
    iri = wanted if wanted.startswith(("http://", "https://")) else base + wanted.strip("/")
    match = [p for p in found if p.iri == iri]
    if not match:
        raise PlanKGError(f"no plan <{iri}> in the store; its plans: {', '.join(p.iri for p in found)}")
    return match


def to_bytes(select: Select, plan: str) -> bytes:
    """The StratML document of ``plan`` (an IRI): UTF-8 XML with a declaration, indented."""
    tree = ET.ElementTree(document(select, plan))
    ET.indent(tree, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree.getroot(), encoding="utf-8",
                                                                    xml_declaration=False) + b"\n"


def document(select: Select, plan: str) -> ET.Element:
    """The ``StrategicPlan`` element of ``plan``; :class:`PlanKGError` if the store has no such plan."""
    ref = str(named_node(plan, "plan"))
    head = _run(select, f"""SELECT ?title ?fiscal ?org WHERE {{
        {ref} a plan:AnnualPlan ; dct:title ?title ; plan:fiscalYear ?fiscal ; dct:publisher ?org }}
        ORDER BY ?title ?fiscal ?org LIMIT 1""")
    if not head:
        raise PlanKGError(f"no plan <{plan}> in the store")
    title, fiscal, org = (_v(head[0], k) for k in ("title", "fiscal", "org"))
    preamble: dict[str, list[str]] = defaultdict(list)
    for r in _run(select, f"""SELECT DISTINCT ?has ?n ?label WHERE {{
            {ref} ?has ?node . VALUES ?has {{ {' '.join('plan:' + p for p in _PREAMBLE)} }}
            ?node rdfs:label ?label . OPTIONAL {{ ?node plan:ordinal ?n }} }} ORDER BY ?has ?n ?label"""):
        preamble[_PREAMBLE[_v(r, "has").removeprefix(PLAN)]].append(_v(r, "label"))
    units = [_v(r, "unit") for r in _run(select, f"""SELECT ?unit (MIN(?n) AS ?first) WHERE {{
        {ref} plan:hasWorkPlan ?w . ?w plan:responsibleUnit ?unit ; plan:ordinal ?n }}
        GROUP BY ?unit ORDER BY ?first ?unit""")]
    goals = _goals(select, ref)
    if not goals:
        raise PlanKGError(f"plan <{plan}> has no goal (plan:hasGoal): a StratML plan needs at least one")
    groups = _target_groups(select, ref)
    names = _names(select, [org, *units, *{g for gs in groups.values() for g in gs}])
    modified = _run(select, f"""SELECT ?modified WHERE {{ GRAPH ?g {{ {ref} a plan:AnnualPlan }}
        GRAPH ?m {{ ?dataset void:subset ?g ; dct:modified ?modified }} }} ORDER BY DESC(?modified) LIMIT 1""")

    root = ET.Element("StrategicPlan", {"xmlns": NS})  # unprefixed names; attributes stay unqualified
    _text(root, "Name", title)
    if preamble["aim"]:
        _text(root, "Description", "、".join(preamble["aim"]))
    other = [f"IRI: {plan}"] + [f"{head}{'；'.join(preamble[kind])}" for kind, head in
                                 (("follows", "依據："), ("key-work", "重點工作：")) if preamble[kind]]
    _text(root, "OtherInformation", "\n".join(other))
    core = ET.SubElement(root, "StrategicPlanCore")
    organisation = ET.SubElement(core, "Organization")
    publisher = names.get(org, _Names())
    _text(organisation, "Name", publisher.zh or publisher.en or org)
    if publisher.acronym:
        _text(organisation, "Acronym", publisher.acronym)
    _text(organisation, "Identifier", "org-" + (_NOT_NCNAME.sub("-", publisher.notation or "") or "publisher"))
    if publisher.en:
        _text(organisation, "Description", publisher.en)
    for unit in units:
        _stakeholder(organisation, names, unit, "Organization")
    for vision in preamble["vision"][:1]:
        v = ET.SubElement(core, "Vision")
        _text(v, "Description", vision)
        _text(v, "Identifier", "vision")
    for g in goals:
        union = dict.fromkeys(t for n in (g, *g.strategies) for t in groups.get(n.iri, ()))  # in order, once
        goal = _node(core, "Goal", g, union, names)
        for s in g.strategies:
            _node(goal, "Objective", s, groups.get(s.iri, ()), names)
    admin = ET.SubElement(root, "AdministrativeInformation")
    if re.fullmatch(r"\d{4}", fiscal):
        _text(admin, "StartDate", f"{fiscal}-01-01")
        _text(admin, "EndDate", f"{fiscal}-12-31")
    if modified:
        _text(admin, "PublicationDate", _v(modified[0], "modified")[:10])
    _text(admin, "Source", plan)
    _check_identifiers(root)
    return root


# ----------------------------------------------------------------------------- reading

@dataclass
class _Node:
    iri: str
    label: str
    identifier: str
    sequence: str
    source: str | None
    strategies: list[_Node]

    @property
    def where(self) -> str:
        return self.iri + (f" ({self.source})" if self.source else "")


@dataclass(frozen=True)
class _Names:
    zh: str | None = None
    en: str | None = None
    acronym: str | None = None
    notation: str | None = None


def _goals(select: Select, ref: str) -> list[_Node]:
    goals: dict[str, _Node] = {}
    for r in _run(select, f"""SELECT DISTINCT ?goal ?g ?glabel ?gsrc ?s ?sn ?slabel ?ssrc WHERE {{
            {ref} plan:hasGoal ?goal . ?goal plan:ordinal ?g ; rdfs:label ?glabel .
            OPTIONAL {{ ?goal prov:wasDerivedFrom/rdfs:label ?gsrc }}
            OPTIONAL {{ ?goal plan:hasStrategy ?s . ?s plan:ordinal ?sn ; rdfs:label ?slabel .
                        OPTIONAL {{ ?s prov:wasDerivedFrom/rdfs:label ?ssrc }} }}
            }} ORDER BY ?g ?goal ?sn ?s"""):
        g = _v(r, "g")
        goal = goals.setdefault(_v(r, "goal"), _Node(_v(r, "goal"), _v(r, "glabel"), f"goal-{g}", g,
                                                     r.get("gsrc") and _v(r, "gsrc"), []))
        if "s" in r and all(s.iri != _v(r, "s") for s in goal.strategies):
            s = _v(r, "sn")
            goal.strategies.append(_Node(_v(r, "s"), _v(r, "slabel"), f"goal-{g}-strategy-{s}", f"{g}.{s}",
                                         r.get("ssrc") and _v(r, "ssrc"), []))
    return list(goals.values())


def _target_groups(select: Select, ref: str) -> dict[str, list[str]]:
    """Node IRI → its target groups, in the order its text names them."""
    out: dict[str, list[str]] = defaultdict(list)
    for r in _run(select, f"""SELECT ?node ?tg (MIN(?offset) AS ?at) WHERE {{
            {{ {ref} plan:hasGoal ?node }} UNION {{ {ref} plan:hasGoal/plan:hasStrategy ?node }}
            ?node plan:targetGroup ?tg .
            OPTIONAL {{ ?node plan:hasLinkEvidence ?e . ?e plan:linkTarget ?tg ; plan:matchOffset ?offset }}
            }} GROUP BY ?node ?tg ORDER BY ?node ?at ?tg"""):
        out[_v(r, "node")].append(_v(r, "tg"))
    return out


def _names(select: Select, iris: Iterable[str]) -> dict[str, _Names]:
    """zh-Hant and English ``skos:prefLabel`` (else ``rdfs:label``), acronym and notation of ``iris``."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    values: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in _run(select, f"""SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?s {{ {' '.join(f'<{i}>' for i in wanted)} }}
            VALUES ?p {{ skos:prefLabel rdfs:label skos:altLabel skos:notation }} ?s ?p ?o }} ORDER BY ?s ?p ?o"""):
        o = r["o"]
        lang = (getattr(o, "language", None) or "").lower()
        key = {SKOS + "altLabel": "alt", SKOS + "notation": "notation"}.get(_v(r, "p"), _v(r, "p") + "@" + lang)
        values[_v(r, "s")][key].append(o.value)
    out = {}
    for iri, v in values.items():
        def first(lang: str) -> str | None:
            return next(iter(v[SKOS + "prefLabel@" + lang] + v[RDFS + "label@" + lang]), None)
        out[iri] = _Names(first("zh-hant"), first("en"), next((a for a in v["alt"] if _ACRONYM.match(a)), None),
                          next(iter(v["notation"]), None))
    return out


def _run(select: Select, query: str) -> list[dict[str, Any]]:
    return list(select(_PROLOGUE + query))  # the query sees the union of the graphs, hence DISTINCT


def _v(row: dict[str, Any], name: str) -> str:
    return row[name].value


# ----------------------------------------------------------------------------- writing

def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    e = ET.SubElement(parent, name)
    e.text = value
    return e


def _node(parent: ET.Element, tag: str, node: _Node, groups: Iterable[str], names: dict[str, _Names]) -> ET.Element:
    """A Goal or an Objective: the plan states it in one line, its Name and its Description."""
    e = ET.SubElement(parent, tag)
    for name, value in (("Name", node.label), ("Description", node.label), ("Identifier", node.identifier),
                        ("SequenceIndicator", node.sequence)):
        _text(e, name, value)
    for group in groups:
        _stakeholder(e, names, group, "Generic_Group")
    _text(e, "OtherInformation", node.where)
    return e


def _stakeholder(parent: ET.Element, names: dict[str, _Names], iri: str, kind: str) -> None:
    found = names.get(iri, _Names())
    e = ET.SubElement(parent, "Stakeholder", {"StakeholderTypeType": kind})
    _text(e, "Name", found.zh or found.en or iri)
    if found.en and found.zh:
        _text(e, "Description", found.en)


def _check_identifiers(root: ET.Element) -> None:
    """xsd:ID: every Identifier unique in the document and an NCName (a bug otherwise, not a user error)."""
    ids = [e.text or "" for e in root.iter("Identifier")]
    if len(ids) != len(set(ids)) or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9._-]*", i) for i in ids):
        raise ValueError(f"StratML Identifiers must be unique NCNames: {ids}")
