"""A plan's strategy × program alignment scores as an HTML table made on the server, no JavaScript.

Rows are the strategies, grouped under their goals (a header row per goal); columns are the
programs, grouped under their work plans (a header cell per work plan above them). A strategy and
a program with a computed alignment (:class:`plankg.server.ui.analysis.Cell`) meet in a cell that
links to the alignment's linked-data page, where its evidence is: its colour is darker the higher
the score (relative to the plan's best score), its text is the score × 100, its ``title`` and
``aria-label`` say strategy, program, score, rank and whether it is accepted. Accepted alignments
(``plan:carriedBy``) have a thick outline and a ✓, so that colour is never the only sign. Other
cells are empty. Header labels are cut short; the full text is in their ``title``.

A table rather than a picture: screen readers announce a cell's row and column headers, and
every cell is a link reached with Tab. Text from the data is escaped (``Markup.format`` escapes
its arguments); the result is a ``Markup`` the template inserts as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup

from plankg.server.ui.i18n import goal_number, strategy_number

STOPS = ((0.0, (0xee, 0xf4, 0xf7)), (0.45, (0x7f, 0xb3, 0xd1)), (1.0, (0x0d, 0x3b, 0x66)))
"""The colour scale: (share of the plan's best score, RGB), linear in between."""
ROW_CHARS = 13
COLUMN_CHARS = 9
GROUP_CHARS_PER_COLUMN = 2


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    lin = [(c / 12.92) if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
           for c in (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_colour(background: str) -> str:
    """White or the ink, whichever contrasts more with ``background`` (WCAG 1.4.3)."""
    lum = _luminance(background)
    return "#fff" if 1.05 / (lum + 0.05) > (lum + 0.05) / (_luminance("#1d2733") + 0.05) else "#1d2733"


def readable(background: str) -> str:
    """``background``, darkened just enough for white text to reach 4.5:1 when neither white nor
    the ink does (the scale's middle tones)."""
    def contrast_white(c: str) -> float:
        return 1.05 / (_luminance(c) + 0.05)

    def contrast_ink(c: str) -> float:
        return (_luminance(c) + 0.05) / (_luminance("#1d2733") + 0.05)

    colour_ = background
    rgb = [int(background[i:i + 2], 16) for i in (1, 3, 5)]
    k = 1.0
    while contrast_white(colour_) < 4.5 and contrast_ink(colour_) < 4.5:
        k -= 0.02
        colour_ = "#" + "".join(f"{round(c * k):02x}" for c in rgb)
    return colour_


def colour(share: float) -> str:
    """The colour of a cell whose score is ``share`` (0–1) of the best score."""
    share = min(max(share, 0.0), 1.0)
    for (s0, c0), (s1, c1) in zip(STOPS, STOPS[1:]):
        if share <= s1:
            k = (share - s0) / (s1 - s0) if s1 > s0 else 0.0
            return "#" + "".join(f"{round(a + (b - a) * k):02x}" for a, b in zip(c0, c1))
    return "#" + "".join(f"{c:02x}" for c in STOPS[-1][1])


def short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def strategy_code(goal_ordinal: int, strategy_ordinal: int) -> str:
    """A strategy's number within the plan as the plan prints it: 一(二)."""
    return goal_number(goal_ordinal).rstrip("、") + strategy_number(strategy_ordinal)


def program_code(work_plan_ordinal: int, program_ordinal: int) -> str:
    return f"{work_plan_ordinal}.{program_ordinal}"


def codes(goals: Sequence, work_plans: Sequence) -> dict[str, str]:
    """IRI → number as the plan prints it, of every strategy (一(二)) and program (8.1)."""
    out = {s.iri: strategy_code(g.ordinal, s.ordinal) for g in goals for s in g.children}
    out.update({p.iri: program_code(w.ordinal, p.ordinal) for w in work_plans for p in w.children})
    return out


def legend(best: float, text: Callable[..., str]) -> Markup:
    """Swatches from 0 to the plan's best score, and the sign of an accepted alignment."""
    steps = [i / 4 for i in range(5)]
    swatches = Markup("").join(
        Markup('<li><span class="hm-swatch" style="background:{c}"></span>{v}</li>').format(
            c=colour(s), v=f"{best * s:.3f}") for s in steps)
    return Markup('<ul class="hm-legend" aria-label="{a}">{s}<li><span class="hm-swatch hm-swatch-accepted">✓</span>'
                  '{acc}</li></ul>').format(a=text("hm_legend"), s=swatches, acc=text("hm_accepted"))


def render(goals: Sequence, work_plans: Sequence, cells: Mapping[tuple[str, str], object],
           link: Callable[[str], str], text: Callable[..., str], caption: str) -> Markup:
    """The ``<table>``: ``goals`` and ``work_plans`` are :class:`plankg.server.ui.data.Node` with
    their strategies and programs as children; ``cells`` maps (strategy IRI, program IRI) to a Cell;
    ``link`` maps an IRI to its page; ``text(key, **values)`` is the page's translator."""
    programs = [(w, p) for w in work_plans for p in w.children]
    best = max((c.score for c in cells.values()), default=0.0) or 1.0
    head = [Markup('<th class="hm-corner" rowspan="2" scope="col"><span>{}</span></th>').format(text("hm_corner"))]
    for w in work_plans:
        width = max(len(w.children), 1)
        head.append(Markup('<th class="hm-wp" colspan="{n}" scope="colgroup" title="{full}">'
                           '<a href="{href}">{label}</a></th>').format(
            n=width, full=f"{w.ordinal}. {w.label}", href=link(w.iri),
            label=short(f"{w.ordinal}. {w.label}", max(width * GROUP_CHARS_PER_COLUMN, 3))))
    sub = []
    for w, p in programs:
        code = program_code(w.ordinal, p.ordinal)
        sub.append(Markup('<th class="hm-prog{first}" scope="col" title="{full}"><a href="{href}">'
                          '<span class="hm-code">{code}</span><span class="hm-vertical">{label}</span></a></th>').format(
            first=" hm-first" if p is w.children[0] else "", full=f"{code} {p.label}", href=link(p.iri), code=code,
            label=short(p.label, COLUMN_CHARS)))
    body = []
    for g in goals:
        rows = [Markup('<tr class="hm-goal"><th colspan="{n}" scope="rowgroup"><span><a href="{href}">{label}</a>'
                       '</span></th></tr>').format(n=len(programs) + 1, href=link(g.iri),
                                                   label=f"{goal_number(g.ordinal)}{g.label}")]
        for s in g.children:
            code = strategy_code(g.ordinal, s.ordinal)
            tds = [_cell(cells.get((s.iri, p.iri)), code, s.label, program_code(w.ordinal, p.ordinal), p.label,
                         p is w.children[0], best, link, text) for w, p in programs]
            rows.append(Markup('<tr><th class="hm-strategy" scope="row" title="{full}"><a href="{href}">'
                               '<span class="hm-code">{code}</span> {label}</a></th>{tds}</tr>').format(
                full=f"{code} {s.label}", href=link(s.iri), code=code, label=short(s.label, ROW_CHARS),
                tds=Markup("").join(tds)))
        body.append(Markup("<tbody>{}</tbody>").format(Markup("").join(rows)))
    return Markup('<table class="heatmap"><caption>{cap}</caption><thead><tr>{head}</tr><tr>{sub}</tr></thead>'
                  '{body}</table>').format(cap=caption, head=Markup("").join(head), sub=Markup("").join(sub),
                                           body=Markup("").join(body))


def _cell(cell, s_code: str, s_label: str, p_code: str, p_label: str, first: bool, best: float,
          link: Callable[[str], str], text: Callable[..., str]) -> Markup:
    cls = " class=\"hm-first\"" if first else ""
    if cell is None:
        return Markup("<td{}></td>").format(Markup(cls))
    share = cell.score / best
    label = text("hm_cell", strategy=f"{s_code} {s_label}", program=f"{p_code} {p_label}",
                 score=f"{cell.score:.3f}", rank=cell.rank) + (text("hm_cell_accepted") if cell.accepted else "")
    # The full description is the link's first, visually hidden, text (not an aria-label, so that
    # the accessible name contains the visible number: WCAG 2.5.3).
    bg = readable(colour(share))
    return Markup('<td{cls}><a class="hm-cell{acc}" href="{href}" title="{label}" '
                  'data-score="{score}" data-rank="{rank}" style="background:{bg};color:{fg}">'
                  '<span class="visually-hidden">{label} · </span>{n}{tick}</a></td>').format(
        cls=Markup(cls), acc=" hm-accepted" if cell.accepted else "", href=link(cell.alignment), label=label,
        score=f"{cell.score}", rank=cell.rank, bg=bg, fg=text_colour(bg),
        n=round(cell.score * 100), tick=Markup('<span class="hm-tick" aria-hidden="true">✓</span>') if cell.accepted else "")
