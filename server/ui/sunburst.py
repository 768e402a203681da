"""A plan as a sunburst: pure SVG made on the server, no JavaScript.

The centre is the plan. The left half holds its annual goals (inner ring) and their
strategies (outer ring), coloured by goal, the first goal at the top; the right half holds its
work plans (inner ring) and their programs (outer ring), coloured by plan category. Every leaf gets the same angle, so a
goal or work plan is as wide as it has children; a gap at the top and the bottom separates the
two halves. Leaves carry a short radial label outside the circle. Every segment is a link to
the node's linked-data page and has a ``<title>`` with its full text (the browser's tooltip).

Text from the data is escaped before it is put into the markup (``Markup.format`` escapes its
arguments); the result is a ``Markup`` the templates insert as is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from plankg.server.ui.i18n import goal_number, strategy_number

SIZE = 1000
CENTRE = SIZE / 2
R_CORE = 76
RING1 = (82, 196)
RING2 = (200, 318)
R_LABEL = 326
GAP_DEG = 7.0
LEAF_LABEL_CHARS = 11
RING1_LABEL_CHARS = 8

GOAL_COLOURS = ("#d1495b", "#edae49", "#66a182", "#00798c", "#8d6cab", "#e07a5f", "#3d8bd3", "#b5838d")
"""One hue per goal (cycled when a plan has more goals)."""
CATEGORY_COLOURS = {
    "social-development": "#7fa7c9",
    "public-construction": "#f28f3b",
    "science-technology": "#9b5de5",
}
UNKNOWN_CATEGORY = "#a0a7b0"
WORK_PLAN_COLOURS = ("#34506b", "#46698a")


@dataclass(frozen=True)
class Branch:
    """A goal or work plan and its children (strategies or programs) as the chart needs them."""

    iri: str
    label: str
    number: str
    colour: str
    kind: str
    children: Sequence[Leaf]


@dataclass(frozen=True)
class Leaf:
    iri: str
    label: str
    number: str
    colour: str
    kind: str
    note: str = ""


def goal_colour(ordinal: int) -> str:
    return GOAL_COLOURS[(max(ordinal, 1) - 1) % len(GOAL_COLOURS)]


def category_colour(category_iri: str) -> str:
    return CATEGORY_COLOURS.get(category_iri.rstrip("/").rsplit("/", 1)[-1], UNKNOWN_CATEGORY)


def lighten(colour: str, amount: float) -> str:
    """``colour`` (#rrggbb) mixed with white by ``amount`` (0–1)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def branches(overview, category_label: Callable[[str], str]) -> tuple[list[Branch], list[Branch]]:
    """The two halves of the chart from a :class:`plankg.server.ui.data.Overview`."""
    goals = [Branch(g.iri, g.label, goal_number(g.ordinal), goal_colour(g.ordinal), "goal",
                    [Leaf(s.iri, s.label, strategy_number(s.ordinal),
                          lighten(goal_colour(g.ordinal), 0.25 + 0.3 * (i % 2)), "strategy")
                     for i, s in enumerate(g.children)])
             for g in overview.goals]
    work_plans = [Branch(w.iri, w.label, f"{w.ordinal}.", WORK_PLAN_COLOURS[i % 2], "work-plan",
                         [Leaf(p.iri, p.label, f"{w.ordinal}.{p.ordinal}",
                               _shade(category_colour(p.category), j), "program", category_label(p.category))
                          for j, p in enumerate(w.children)])
                  for i, w in enumerate(overview.work_plans)]
    return goals, work_plans


def _shade(colour: str, index: int) -> str:
    """Alternate two tones of one colour so that neighbouring programs stay distinguishable."""
    return colour if index % 2 == 0 else lighten(colour, 0.28)


def render(centre_label: Sequence[str], centre_iri: str, left: Sequence[Branch], right: Sequence[Branch],
           link: Callable[[str], str], aria_label: str) -> Markup:
    """The SVG element. ``left`` and ``right`` are the halves; ``link`` maps an IRI to a URL."""
    leaves = sum(max(len(b.children), 1) for b in (*left, *right)) or 1
    usable = 360.0 - (2 * GAP_DEG if left and right else 0.0)
    step = usable / leaves
    parts: list[Markup] = []
    angle = GAP_DEG / 2 if left and right else 0.0
    for half, backwards in ((right, False), (left, True)):
        # Clockwise from the top on the right; on the left the first branch is at the top too,
        # so that half is drawn from the bottom up in reverse order.
        for branch in (reversed(half) if backwards else half):
            width = step * max(len(branch.children), 1)
            parts.append(_segment(branch.iri, branch.kind, angle, angle + width, RING1, branch.colour,
                                  f"{branch.number}{branch.label}", link))
            parts.append(_ring1_text(angle + width / 2, f"{branch.number}{branch.label}"))
            for i, leaf in enumerate(reversed(branch.children) if backwards else branch.children):
                a0 = angle + i * step
                tip = f"{leaf.number} {leaf.label}" + (f" · {leaf.note}" if leaf.note else "")
                parts.append(_segment(leaf.iri, leaf.kind, a0, a0 + step, RING2, leaf.colour, tip, link))
                parts.append(_leaf_text(a0 + step / 2, f"{leaf.number} {leaf.label}", leaf.kind))
            angle += width
        angle += GAP_DEG
    centre = Markup('<a href="{}" class="sb-centre"><title>{}</title><circle cx="{c}" cy="{c}" r="{r}"/>').format(
        link(centre_iri), " ".join(centre_label), c=CENTRE, r=R_CORE)
    dy = -10 * (len(centre_label) - 1)
    for i, line in enumerate(centre_label):
        centre += Markup('<text x="{c}" y="{y}" class="sb-centre-text{big}">{t}</text>').format(
            c=CENTRE, y=_f(CENTRE + dy + 22 * i + 5), t=line, big=" sb-big" if i == 1 else "")
    centre += Markup("</a>")
    return Markup('<svg class="sunburst" viewBox="0 0 {s} {s}" role="img" aria-label="{a}" '
                  'xmlns="http://www.w3.org/2000/svg">{body}{centre}</svg>').format(
        s=SIZE, a=aria_label, body=Markup("").join(parts), centre=centre)


def _segment(iri: str, kind: str, a0: float, a1: float, ring: tuple[float, float], fill: str, tip: str,
             link: Callable[[str], str]) -> Markup:
    return Markup('<a href="{href}" class="seg seg-{kind}" data-kind="{kind}"><path d="{d}" fill="{fill}">'
                  '<title>{tip}</title></path></a>').format(
        href=link(iri), kind=kind, d=_arc(a0, a1, *ring), fill=fill, tip=tip)


def _ring1_text(mid: float, text: str) -> Markup:
    r = (RING1[0] + RING1[1]) / 2 + 4
    return _radial_text(mid, r, _short(text, RING1_LABEL_CHARS), "sb-ring1", anchor_middle=True)


def _leaf_text(mid: float, text: str, kind: str) -> Markup:
    return _radial_text(mid, R_LABEL, _short(text, LEAF_LABEL_CHARS), f"sb-leaf sb-leaf-{kind}", anchor_middle=False)


def _radial_text(mid: float, r: float, text: str, cls: str, anchor_middle: bool) -> Markup:
    """Text along the radius at angle ``mid`` (degrees clockwise from the top), upright on both halves."""
    x, y = _point(mid, r)
    left_half = mid % 360 > 180
    rotation = mid + 90 if left_half else mid - 90
    anchor = "middle" if anchor_middle else ("end" if left_half else "start")
    return Markup('<text x="{x}" y="{y}" transform="rotate({rot} {x} {y})" text-anchor="{anchor}" '
                  'dominant-baseline="central" class="{cls}" aria-hidden="true">{t}</text>').format(
        x=_f(x), y=_f(y), rot=_f(rotation), anchor=anchor, cls=cls, t=text)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _point(angle: float, r: float) -> tuple[float, float]:
    rad = math.radians(angle)
    return CENTRE + r * math.sin(rad), CENTRE - r * math.cos(rad)


def _arc(a0: float, a1: float, r0: float, r1: float) -> str:
    """An annular sector from angle ``a0`` to ``a1`` between radii ``r0`` and ``r1``."""
    large = 1 if a1 - a0 > 180 else 0
    (x0, y0), (x1, y1) = _point(a0, r1), _point(a1, r1)
    (x2, y2), (x3, y3) = _point(a1, r0), _point(a0, r0)
    return (f"M{_f(x0)} {_f(y0)}A{r1} {r1} 0 {large} 1 {_f(x1)} {_f(y1)}"
            f"L{_f(x2)} {_f(y2)}A{r0} {r0} 0 {large} 0 {_f(x3)} {_f(y3)}Z")


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")
