"""A plan as a sunburst: pure SVG made on the server, no JavaScript.

The centre is the plan. The left half holds its annual goals (inner ring) and their strategies
(outer ring); the right half holds its work plans (inner ring) and their programs (outer ring).
Colour carries the structure: every goal has its own hue and its strategies are tints of it;
every work plan has its own hue and its programs are tints of it. A program's plan category is a
thin patterned ring outside it (solid, stripes or dots), so it does not depend on colour alone.

Numbering is the plan's own on the left (goals 一、, strategies (一)) and decimal on the right
(work plans 1, programs 1.1), the same in the chart, its legend, its text version and the lists.

Every segment is a focusable link to the node's linked-data page with a ``<title>`` holding its
full text; hovering or focusing it also shows that full text in a band under the circle (CSS
only). Leaves carry a short radial label outside the circle. The ``<svg>`` is a labelled group
described by the text version of the chart (``described_by``, the ids of elements in the page).

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
TIP_BAND = 120
"""Height of the band under the circle where a hovered or focused segment shows its full text."""
CENTRE = SIZE / 2
R_CORE = 76
RING1 = (82, 196)
RING2 = (200, 306)
CATEGORY_RING = (309, 319)
R_LABEL = 326
GAP_DEG = 7.0
LEAF_LABEL_CHARS = 10
RING1_LABEL_CHARS = 7
TIP_CHARS = 44

GOAL_COLOURS = ("#b3263a", "#8a5a00", "#2e7650", "#00697a", "#6f4c96", "#b04a2c", "#2566a8", "#8c4a5c")
"""One hue per goal (cycled when a plan has more goals); each has ≥4.5:1 contrast with white."""
WORK_PLAN_COLOURS = ("#1f5f9e", "#9c4f00", "#2d7d46", "#a23b72", "#5a5a9e", "#00707a", "#7d6500", "#b03a2e",
                     "#3f6e8c", "#556b1f", "#7a4fa0", "#a0522d")
"""One hue per work plan (cycled); each has ≥4.5:1 contrast with white."""
CATEGORY_COLOURS = {
    "social-development": "#4f6f8f",
    "public-construction": "#c0661a",
    "science-technology": "#7b3fc4",
}
CATEGORY_PATTERNS = {"social-development": "solid", "public-construction": "stripes", "science-technology": "dots"}
UNKNOWN_CATEGORY = "#8a939d"


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
    category: str = ""
    context: str = ""


def goal_colour(ordinal: int) -> str:
    return GOAL_COLOURS[(max(ordinal, 1) - 1) % len(GOAL_COLOURS)]


def work_plan_colour(ordinal: int) -> str:
    return WORK_PLAN_COLOURS[(max(ordinal, 1) - 1) % len(WORK_PLAN_COLOURS)]


def _category_key(category_iri: str) -> str:
    return category_iri.rstrip("/").rsplit("/", 1)[-1]


def category_colour(category_iri: str) -> str:
    return CATEGORY_COLOURS.get(_category_key(category_iri), UNKNOWN_CATEGORY)


def category_fill(category_iri: str) -> str:
    """The fill of a category: a reference to its pattern in the chart's ``<defs>``."""
    key = _category_key(category_iri)
    return f"url(#sb-cat-{key})" if key in CATEGORY_COLOURS else UNKNOWN_CATEGORY


def lighten(colour: str, amount: float) -> str:
    """``colour`` (#rrggbb) mixed with white by ``amount`` (0–1)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def _tint(colour: str, index: int) -> str:
    """Alternate two tints of the parent's colour so that neighbouring leaves stay distinguishable."""
    return lighten(colour, 0.38 if index % 2 == 0 else 0.58)


def work_plan_number(ordinal: int) -> str:
    return str(ordinal)


def program_number(work_plan: int, ordinal: int) -> str:
    return f"{work_plan}.{ordinal}"


def branches(overview, category_label: Callable[[str], str]) -> tuple[list[Branch], list[Branch]]:
    """The two halves of the chart from a :class:`plankg.server.ui.data.Overview`."""
    goals = [Branch(g.iri, g.label, goal_number(g.ordinal), goal_colour(g.ordinal), "goal",
                    [Leaf(s.iri, s.label, strategy_number(s.ordinal), _tint(goal_colour(g.ordinal), i), "strategy",
                          context=goal_number(g.ordinal))
                     for i, s in enumerate(g.children)])
             for g in overview.goals]
    work_plans = [Branch(w.iri, w.label, work_plan_number(w.ordinal), work_plan_colour(w.ordinal), "work-plan",
                         [Leaf(p.iri, p.label, program_number(w.ordinal, p.ordinal), _tint(work_plan_colour(w.ordinal), j),
                               "program", category_label(p.category) if p.category else "", p.category)
                          for j, p in enumerate(w.children)])
                  for w in overview.work_plans]
    return goals, work_plans


def _joined(number: str, label: str) -> str:
    return f"{number}{label}" if number.endswith(("、", ")")) else f"{number} {label}"


def render(centre_label: Sequence[str], centre_iri: str, left: Sequence[Branch], right: Sequence[Branch],
           link: Callable[[str], str], aria_label: str, described_by: str = "", text_lang: str = "") -> Markup:
    """The SVG element. ``left`` and ``right`` are the halves; ``link`` maps an IRI to a URL;
    ``text_lang``, when given, is the language of the nodes' text if it differs from the page's."""
    leaves = sum(max(len(b.children), 1) for b in (*left, *right)) or 1
    usable = 360.0 - (2 * GAP_DEG if left and right else 0.0)
    step = usable / leaves
    parts: list[Markup] = []
    labels: list[Markup] = []
    angle = GAP_DEG / 2 if left and right else 0.0
    for half, backwards in ((right, False), (left, True)):
        # Clockwise from the top on the right; on the left the first branch is at the top too,
        # so that half is drawn from the bottom up in reverse order.
        for branch in (reversed(half) if backwards else half):
            width = step * max(len(branch.children), 1)
            full = _joined(branch.number, branch.label)
            parts.append(_segment(branch.iri, branch.kind, angle, angle + width, RING1, branch.colour, full, link))
            labels.append(_ring1_text(angle + width / 2, full))
            for i, leaf in enumerate(reversed(branch.children) if backwards else branch.children):
                a0 = angle + i * step
                tip = _joined(leaf.context + leaf.number, leaf.label) + (f" · {leaf.note}" if leaf.note else "")
                parts.append(_segment(leaf.iri, leaf.kind, a0, a0 + step, RING2, leaf.colour, tip, link,
                                      category=leaf.category if leaf.kind == "program" else None))
                labels.append(_leaf_text(a0 + step / 2, _joined(leaf.number, leaf.label), leaf.kind))
            angle += width
        angle += GAP_DEG
    centre = Markup('<a href="{}" class="sb-centre"><title>{}</title><circle cx="{c}" cy="{c}" r="{r}"/>').format(
        link(centre_iri), " ".join(centre_label), c=CENTRE, r=R_CORE)
    dy = -10 * (len(centre_label) - 1)
    for i, line in enumerate(centre_label):
        centre += Markup('<text x="{c}" y="{y}" class="sb-centre-text{big}">{t}</text>').format(
            c=CENTRE, y=_f(CENTRE + dy + 22 * i + 5), t=line, big=" sb-big" if i == 1 else "")
    centre += Markup("</a>")
    described = Markup(' aria-describedby="{}"').format(described_by) if described_by else Markup("")
    # Labels come after the segments so that none is painted under a neighbouring segment; the
    # segments' full-text bands lie under the circle, where nothing else is painted.
    in_lang = Markup(' lang="{}"').format(text_lang) if text_lang else Markup("")
    return Markup('<svg class="sunburst" viewBox="0 0 {s} {h}" role="group" aria-label="{a}"{d} '
                  'xmlns="http://www.w3.org/2000/svg">{defs}<g{lang}>{body}{labels}</g>{centre}</svg>').format(
        s=SIZE, h=SIZE + TIP_BAND, a=aria_label, d=described, defs=_defs(), lang=in_lang, labels=Markup("").join(labels),
        centre=centre, body=Markup("").join(parts))


def _defs() -> Markup:
    """One pattern per plan category: solid, diagonal stripes, dots."""
    out = []
    for key, colour in CATEGORY_COLOURS.items():
        kind = CATEGORY_PATTERNS[key]
        if kind == "solid":
            mark = ""
        elif kind == "stripes":
            mark = '<path d="M0 6L6 0" stroke="#fff" stroke-width="2"/>'
        else:
            mark = '<circle cx="3" cy="3" r="1.3" fill="#fff"/>'
        out.append(Markup('<pattern id="sb-cat-{k}" width="6" height="6" patternUnits="userSpaceOnUse">'
                          '<rect width="6" height="6" fill="{c}"/>{m}</pattern>').format(k=key, c=colour, m=Markup(mark)))
    return Markup("<defs>{}</defs>").format(Markup("").join(out))


def _segment(iri: str, kind: str, a0: float, a1: float, ring: tuple[float, float], fill: str, tip: str,
             link: Callable[[str], str], category: str | None = None) -> Markup:
    ring_path = Markup("")
    if category is not None:
        ring_path = Markup('<path class="sb-cat" d="{d}" fill="{f}"/>').format(
            d=_arc(a0, a1, *CATEGORY_RING), f=category_fill(category))
    return Markup('<a href="{href}" class="seg seg-{kind}" data-kind="{kind}"><title>{tip}</title>'
                  '<path d="{d}" fill="{fill}"/>{ring}{band}</a>').format(
        href=link(iri), kind=kind, tip=tip, d=_arc(a0, a1, *ring), fill=fill, ring=ring_path, band=_tip_band(tip))


def _tip_band(text: str) -> Markup:
    """The full text under the circle, shown while the segment is hovered or focused (CSS)."""
    lines = [text[i:i + TIP_CHARS] for i in range(0, len(text), TIP_CHARS)][:3]
    top = SIZE + 4
    out = Markup('<g class="sb-tip" aria-hidden="true"><rect x="20" y="{y}" width="{w}" height="{h}" rx="10"/>').format(
        y=top, w=SIZE - 40, h=TIP_BAND - 8)
    first = top + (TIP_BAND - 8) / 2 - 13 * (len(lines) - 1) + 8
    for i, line in enumerate(lines):
        out += Markup('<text x="{x}" y="{y}">{t}</text>').format(x=CENTRE, y=_f(first + 26 * i), t=line)
    return out + Markup("</g>")


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
