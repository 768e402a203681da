#!/usr/bin/env python3
"""Write N synthetic annual plans (年度施政計畫) in the government template, and a registry listing them.

For the scale benchmark (issue 18, bench/bench_scale.py). Standard library only; deterministic
for a given ``--seed`` and N.

    python3 bench/gen_plans.py N OUT_DIR [--seed 18] [--seed-plan data/plans/mol-108.txt]

writes ``OUT_DIR/plans/<i>.txt`` for i = 1 … N and ``OUT_DIR/registry.toml``, which lists those
plans plus the shipped budget documents and law index exactly as data/registry.toml does
(absolute paths, so the registry can live anywhere).

What a plan is made of. Every sentence comes from the seed plan (the Ministry of Labor's plan of
ROC year 108, the only plan text the project ships); only its arrangement is new:

* title: ``<機關> <年> 年度施政計畫``;
* preamble: the seed's two paragraphs, the year in them replaced by the plan's year;
* 壹、年度施政目標及策略: a sample of the seed's goals (at least half of them, in a shuffled
  order), each with a shuffled sample of its own strategies (at least one), renumbered
  一、… / (一)…;
* 貳、年度重要計畫: a sample of the seed's work plans (at least half, shuffled), each with a shuffled
  sample of its own programs (at least one), each program with a shuffled sample of its own
  activities (at least one), renumbered 一、…; numbers of two or more digits in activity texts
  (55 歲, 3 高 is left alone) are varied by up to ±30 %; the table header is repeated every ten rows
  as the printed plans repeat it on every page (page breaks that cut a row are not generated).

Organisations and years. A plan's organisation must be one the build knows: one of
ontology/vocab/organisations.ttl or an agency (``depname``) of a loaded budget. The generator takes
the agency names of the shipped 2019 enacted budget (data/budget/enacted-2019.csv.gz: 235,
勞動部 among them; see :func:`agencies`), shuffles them with the
seed, and cycles through them, moving to the next year (ROC 108, 109, 110, …) after each full
cycle: so (organisation, year) pairs are all distinct, and N ≤ 235 plans are all of ROC year 108,
the year of the shipped budgets. Plans of later years have no budget of their year (no
cross-agency alignment to line items, as for any such plan).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEED_PLAN = DATA / "plans" / "mol-108.txt"
SEED_YEAR = 108
HEADER = "工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容"
CATEGORIES = ("社會發展", "公共建設", "科技發展")
BUDGETS = (("budget/enacted-2019.csv.gz", 2019, "enacted"), ("budget/proposed-2019.csv.gz", 2019, "proposed"),
           ("budget/enacted-2018.csv.gz", 2018, "enacted"))
LAWS = ("laws/moj-law-index.json.gz", "laws/mol-laws-all.tsv.gz")
ROWS_PER_PAGE = 10

_DIGITS = "〇一二三四五六七八九"
_NUMERAL = "[一二三四五六七八九十]{1,3}"
_GOAL_RE = re.compile(rf"^({_NUMERAL})、\s*(.+)$")
_STRATEGY_RE = re.compile(rf"^(?:-\s*)?[(（]({_NUMERAL})[)）]\s*(.+)$")
JOIN = "\x00"  # where a page break cut a cell: an item boundary, no text
_ITEM_RE = re.compile(rf"(?:^|(?<=[\s\x00]))({_NUMERAL})、")
_NUMBER_RE = re.compile(r"(?<![0-9.])([0-9]{2,})(?![0-9.])")


def numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (n < 100)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


@dataclass
class Program:
    name: str
    category: str
    activities: list[str] = field(default_factory=list)


@dataclass
class WorkPlan:
    name: str
    programs: list[Program] = field(default_factory=list)


@dataclass
class Seed:
    preamble: list[str]
    goals: list[tuple[str, list[str]]]  # (goal, its strategies)
    work_plans: list[WorkPlan]


def _plain(cell: str) -> str:
    return re.sub(r"</?p>", " ", cell).strip()


def read_seed(path: Path = SEED_PLAN) -> Seed:
    """The seed plan's preamble paragraphs, goals with strategies, and table (page breaks joined)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    i_goals = next(i for i, t in enumerate(lines) if t.startswith("壹、"))
    i_table = next(i for i, t in enumerate(lines) if t.startswith("貳、"))
    i_title = next(i for i, t in enumerate(lines) if t.strip())
    preamble = [t.strip() for t in lines[i_title + 1 : i_goals] if t.strip()]
    goals: list[tuple[str, list[str]]] = []
    for t in lines[i_goals + 1 : i_table]:
        t = t.strip()
        if m := _GOAL_RE.match(t):
            goals.append((m[2].strip(), []))
        elif m := _STRATEGY_RE.match(t):
            goals[-1][1].append(m[2].strip())
        elif t:
            raise ValueError(f"seed goals: unexpected line {t!r}")
    work_plans: list[WorkPlan] = []
    cut = False  # the previous row's category was cut by a page break (社會 + 發展)
    after_header = False
    for t in lines[i_table + 1 :]:
        if not t.strip():
            continue
        if t.startswith("工作計畫名稱"):
            after_header = True
            continue
        cells = [_plain(c) for c in t.split("\t")]
        wp, prog, cat, content = cells
        last = work_plans[-1].programs[-1] if work_plans else None
        if after_header and (cut or not cat):  # continues the row cut by the page break
            last.name += prog
            last.category += cat
            last.activities.append(content)  # a page-break join: an item may start here
            cut = last.category not in CATEGORIES
        else:
            if wp:
                work_plans.append(WorkPlan(wp))
            work_plans[-1].programs.append(Program(prog, cat, [content]))
            cut = cat not in CATEGORIES
        after_header = False
    for w in work_plans:
        for p in w.programs:
            p.activities = _split_items(JOIN.join(p.activities))
    return Seed(preamble, goals, work_plans)


def _split_items(cell: str) -> list[str]:
    """The activities of a 實施內容 cell: items 一、二、… in sequence, else the whole cell."""
    cell = re.sub(r"\s+", " ", cell).strip()
    if not cell.startswith("一、"):
        return [cell.replace(JOIN, "")]
    out, start, expected = [], 2, 2
    for m in _ITEM_RE.finditer(cell, 2):
        if m[1] == numeral(expected):
            out.append(cell[start : m.start()].replace(JOIN, "").strip())
            start, expected = m.end(), expected + 1
    out.append(cell[start:].replace(JOIN, "").strip())
    return out


def agencies(budget: Path = DATA / "budget" / "enacted-2019.csv.gz") -> list[str]:
    """The agency names (depname) of a shipped budget that may publish a plan, sorted.

    Not those that organisations.ttl labels on a resource without a skos:notation: the build finds
    the label first and then refuses the organisation for want of a notation (none today: the
    Ministry of Labor's agencies, once refused so, have their notations, mol-bli …).
    """
    ttl = (ROOT / "ontology" / "vocab" / "organisations.ttl").read_text(encoding="utf-8")
    refused = {name for block in ttl.split("\n\n") if "skos:notation" not in block
               for name in re.findall(r'"([^"]+)"@zh-Hant', block)}
    with gzip.open(budget) as f:
        rows = csv.DictReader(io.TextIOWrapper(f, encoding="utf-8-sig"))
        return sorted({r["depname"] for r in rows} - refused)


def _sample(rng: random.Random, items: list, low: int) -> list:
    """A shuffled sample of ``items``, of at least ``low`` and at most all of them."""
    return rng.sample(items, rng.randint(min(low, len(items)), len(items)))


def _vary(rng: random.Random, text: str) -> str:
    return _NUMBER_RE.sub(lambda m: str(max(10, round(int(m[1]) * rng.uniform(0.7, 1.3)))), text)


def plan_text(seed: Seed, rng: random.Random, organisation: str, year: int) -> str:
    out = [f"{organisation} {year} 年度施政計畫", ""]
    for para in seed.preamble:
        out += [para.replace(f"{SEED_YEAR} 年度", f"{year} 年度"), ""]
    out += ["壹、年度施政目標及策略", ""]
    for g, (goal, strategies) in enumerate(_sample(rng, seed.goals, (len(seed.goals) + 1) // 2), 1):
        out += [f"{numeral(g)}、{goal}", ""]
        out += [f"({numeral(s)}) {text}" for s, text in enumerate(_sample(rng, strategies, 1), 1)]
        out.append("")
    out += ["貳、年度重要計畫", "", HEADER]
    rows = 0
    for w in _sample(rng, seed.work_plans, (len(seed.work_plans) + 1) // 2):
        for k, p in enumerate(_sample(rng, w.programs, 1)):
            if rows and rows % ROWS_PER_PAGE == 0:
                out += ["", HEADER]
            acts = [_vary(rng, a) for a in _sample(rng, p.activities, 1)]
            content = acts[0] if len(acts) == 1 else " ".join(f"{numeral(i)}、{a}" for i, a in enumerate(acts, 1))
            out.append("\t".join((w.name if k == 0 else "", p.name, p.category, content)))
            rows += 1
    return "\n".join(out) + "\n"


def generate(n: int, out: Path, seed: int = 18, seed_plan: Path = SEED_PLAN) -> Path:
    """Write n plans and the registry into ``out``; return the registry's path."""
    rng = random.Random(seed)
    parsed = read_seed(seed_plan)
    names = agencies()
    random.Random(seed).shuffle(names)
    (out / "plans").mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(n):
        organisation, year = names[i % len(names)], SEED_YEAR + i // len(names)
        path = out / "plans" / f"{i + 1:04d}.txt"
        path.write_text(plan_text(parsed, rng, organisation, year), encoding="utf-8")
        entries.append(f'[[plan]]\nfile = "plans/{path.name}"   # {organisation} {year}\nvariant = "auto"\n')
    for file, year, stage in BUDGETS:
        entries.append(f'[[budget]]\nfile = "{DATA / file}"\nyear = {year}\nstage = "{stage}"\n')
    entries.append(f'[laws]\nindex = "{DATA / LAWS[0]}"\ndetails = "{DATA / LAWS[1]}"\n')
    registry = out / "registry.toml"
    registry.write_text(f"# {n} synthetic plans (bench/gen_plans.py, seed {seed}), the shipped budgets and laws\n\n"
                        + "\n".join(entries), encoding="utf-8")
    return registry


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--seed-plan", type=Path, default=SEED_PLAN)
    args = ap.parse_args()
    print(generate(args.n, args.out, args.seed, args.seed_plan))


if __name__ == "__main__":
    main()
