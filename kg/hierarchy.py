"""The shape of a plan, described once: which nodes hang under which, by which property.

An annual plan (``plan:AnnualPlan``) has the statements of its preamble (vision, aims, the
statements naming the documents it follows, key works) and two trees: plan → goal → strategy,
and plan → work plan → program → activity. Each :class:`Level` says what the ontology says about
it (its class, the property from its parent and its inverse; ``tests/test_ontology.py`` checks
them against ``ontology/plankg.ttl``) and what the code needs besides: the IRI path segment the
mapping mints and whether the search page lists it. The mapping (:mod:`plankg.build.rdf`), the
counts (:mod:`plankg.build.stats`), the breadcrumbs and child lists of the linked-data pages and
the UI's search derive from here.

Plain strings: importing this is free.
"""

from __future__ import annotations

from dataclasses import dataclass

from plankg.namespaces import PLAN

PLAN_CLASS = "AnnualPlan"
EVIDENCE_CLASS = "LinkEvidence"
EVIDENCE_PROPERTY = "hasLinkEvidence"
"""Link evidence belongs to the node whose link it explains (``<node>/link/k``)."""


@dataclass(frozen=True)
class Level:
    """One kind of plan node."""

    cls: str
    """Local name of its class, ``plan:<cls>``."""
    parent: str
    """The ``cls`` of the level above (``AnnualPlan`` for the top)."""
    has: str
    """The property from the parent to it."""
    is_of: str | None
    """The inverse property, materialised in the data (None: only ``has`` is)."""
    segment: str
    """Its IRI path segment under its parent's IRI: ``…/goal/1/strategy/2``."""
    numbered: bool = True
    """Whether its IRI ends with its ordinal (the vision is one, unnumbered)."""
    searched: bool = False
    """Whether the search page lists it (a group per level, in this order)."""
    tree: bool = False
    """Whether it is a level of the two trees (goals … activities) that builds count."""

    @property
    def iri(self) -> str:
        return PLAN + self.cls


LEVELS: tuple[Level, ...] = (
    Level("Vision", PLAN_CLASS, "hasVision", "isVisionOf", "vision", numbered=False),
    Level("Aim", PLAN_CLASS, "hasAim", "isAimOf", "aim"),
    Level("PolicyReference", PLAN_CLASS, "hasPolicyReference", "isPolicyReferenceOf", "follows"),
    Level("KeyWork", PLAN_CLASS, "hasKeyWork", "isKeyWorkOf", "key-work"),
    Level("Goal", PLAN_CLASS, "hasGoal", "isGoalOf", "goal", searched=True, tree=True),
    Level("Strategy", "Goal", "hasStrategy", "isStrategyOf", "strategy", searched=True, tree=True),
    Level("WorkPlan", PLAN_CLASS, "hasWorkPlan", "isWorkPlanOf", "work-plan", tree=True),
    Level("Program", "WorkPlan", "hasProgram", "isProgramOf", "program", searched=True, tree=True),
    Level("Activity", "Program", "hasActivity", "isActivityOf", "activity", searched=True, tree=True),
)
"""Every level, in the order pages list a node's children.

The documents a plan follows (``plan:follows``, a ``plan:PolicyDocument`` such as 行政院 108 年度
施政方針) are not a level: one document is followed by many plans. The plan's statement naming
one is (``plan:PolicyReference``, IRI segment ``follows``)."""

BY_CLASS = {level.cls: level for level in LEVELS}
STRUCTURE = tuple(level for level in LEVELS if level.tree)
"""The two trees (goals … activities): the levels counted by ``plankg build`` and ``stats``."""
SEARCHED = tuple(level.cls for level in LEVELS if level.searched)


def depth(cls: str) -> int:
    """How deep a node of class ``cls`` sits under its plan (the plan is 0)."""
    return 0 if cls == PLAN_CLASS else depth(BY_CLASS[cls].parent) + 1


DEPTHS: dict[str, int] = {PLAN_CLASS: 0, **{level.cls: depth(level.cls) for level in LEVELS}}
DEPTHS[EVIDENCE_CLASS] = max(DEPTHS.values()) + 1


def parent_path() -> str:
    """A SPARQL property path one step from any plan node (or evidence) to the node above it."""
    up = [f"<{PLAN}{level.is_of}>" if level.is_of else f"^<{PLAN}{level.has}>" for level in LEVELS]
    return "|".join(up + [f"^<{PLAN}{EVIDENCE_PROPERTY}>"])


__all__ = ["Level", "LEVELS", "BY_CLASS", "STRUCTURE", "SEARCHED", "DEPTHS", "PLAN_CLASS", "EVIDENCE_CLASS",
           "EVIDENCE_PROPERTY", "depth", "parent_path"]
