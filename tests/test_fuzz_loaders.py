"""Hostile input (issue 18): property-based fuzzing of every loader with hypothesis.

Every family starts from the REAL seed files (``data/plans/mol-108.txt``, ``data/budget/*.csv.gz``,
``data/laws/*``, ``data/registry.toml``) and damages them: lines deleted, duplicated, swapped,
shuffled in a window, replaced by random text; full-width/half-width characters and item numbering
(一、 (一) 1.) changed; the text re-encoded (UTF-16/32, Big5/cp950, GB18030, latin-1 mojibake, a
BOM); bytes truncated, flipped, inserted (NUL, invalid UTF-8, random); or pure random bytes.

The property: the loader returns its plain objects (every string in them encodable as UTF-8, as
the build writes them), or raises a :class:`PlanKGError` (an ``InputError`` for bad input) whose
one-line message starts with the file's name and names a line the file has, unless it is about the
whole file (:data:`WHOLE_FILE`: the gzip container, a registry listing nothing …). Choosing a
loader (every ``sniff``) never fails either. Anything else (a traceback) fails, with hypothesis's
minimal example. Budget, law index and registry cases also get one to three values replaced (a
field, a JSON value, a key's value) before the damage, so that they reach past the first check.

The end-to-end half runs the real ``plankg build`` on a few mutated plans after a good build:
exit 0 (published), or 1/2 with one ``plankg: error:`` line and no traceback, and after a failure
the published build (symlink, ``plankg stats``, the dumps' checksum, the builds on disk) is as before.

Runs are deterministic (``derandomize``, no example database). ``PLANKG_FUZZ_SCALE=10`` runs ten
times the cases; ``PLANKG_FUZZ_SEED=N`` runs a random (seeded) selection instead of the fixed one.
The cases run per family are printed at the end of the module.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import hashlib
import io
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from conftest import ROOT, SEED, run_plankg
from plankg.build.sources import read_registry
from plankg.errors import InputError, PlanKGError
from plankg.loaders import budget_csv, law_index
from plankg.loaders.law_model import LawIndex
from plankg.loaders.model import BudgetDocument, Plan
from plankg.loaders.plan_text import DEFAULT_CATEGORIES
from plankg.loaders.registry import load, loader_for

DATA = ROOT / "data"
# a failing example built from a whole seed file has a long repr; hypothesis warns, and we want the error
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
SCALE = float(os.environ.get("PLANKG_FUZZ_SCALE", "1"))
SEED_ENV = os.environ.get("PLANKG_FUZZ_SEED")


def fuzz(examples: int):
    """A test's settings: ``examples`` cases (times PLANKG_FUZZ_SCALE), bounded and reproducible."""
    config = settings(max_examples=max(1, round(examples * SCALE)), deadline=None, database=None,
                      derandomize=SEED_ENV is None, print_blob=True,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.function_scoped_fixture])

    def wrap(test):
        test = config(test)
        return seed(int(SEED_ENV))(test) if SEED_ENV is not None else test

    return wrap


CASES: Counter[str] = Counter()  # "family: outcome" → cases run


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request):
    yield
    families = sorted({k.split(":")[0] for k in CASES} - {"uncounted"})
    lines = [f"{f}: {sum(v for k, v in CASES.items() if k.split(':')[0] == f)} cases ("
             + ", ".join(f"{k.split(': ')[1]} {v}" for k, v in sorted(CASES.items()) if k.split(":")[0] == f) + ")"
             for f in families]
    text = "fuzz cases run:\n  " + "\n  ".join(lines)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown whatever the -q/-s options
            reporter.write_line("\n" + text)
    else:  # pragma: no cover
        print(text)


# ------------------------------------------------------------------------------------ mutations

FULL = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}
HALF = {v: k for k, v in FULL.items()}
NUMBERING = [("一、", "(一)"), ("(一)", "1."), ("1.", "一、"), ("（一）", "(一)"), ("一、", "二、"),
             ("二、", "一、"), ("(二)", "(三)"), ("1.", "1、"), ("1、", "(1)"), ("(1)", "①"),
             ("一、", "十一、"), ("(一)", "（ 一 ）"), ("1.", "１．"), ("、", ","), ("。", "")]
INVALID_UTF8 = [b"\x80", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80",
                b"\xff\xfe", b"\xfe\xff", b"\xf4\x90\x80\x80", b"\xe6\x83"]
BOMS = [b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"]


SEPARATORS = ("\t", ",", " = ", ":", "、")


def _line_ops(fragments: list[str]):
    """Strategies of one line-level edit of a list of lines (each a function lines → lines)."""
    random_line = st.one_of(st.text(max_size=40), st.sampled_from(fragments),
                            st.lists(st.sampled_from(fragments), min_size=1, max_size=4).map("".join))
    random_field = st.one_of(st.sampled_from(fragments), st.text(max_size=12), st.just(""))

    @st.composite
    def op(draw, lines: list[str]) -> list[str]:
        lines = list(lines)
        if not lines:
            return [draw(random_line)]
        n = len(lines)
        i = draw(st.integers(0, n - 1))
        kind = draw(st.sampled_from(["field", "delete", "duplicate", "swap", "shuffle", "replace", "insert",
                                     "width", "numbering", "char", "cut-line", "delete-block",
                                     "duplicate-block", "field"]))
        if kind == "field":  # one cell, field or value of the line replaced (or one added or dropped)
            seps = [sep for sep in SEPARATORS if sep in lines[i]]
            if seps:
                sep = draw(st.sampled_from(seps))
                cells = lines[i].split(sep)
                j = draw(st.integers(0, len(cells) - 1))
                how = draw(st.sampled_from(["set", "set", "set", "add", "drop"]))
                if how == "set":
                    cells[j] = draw(random_field)
                elif how == "add":
                    cells.insert(j, draw(random_field))
                else:
                    del cells[j]
                lines[i] = sep.join(cells)
            else:
                lines[i] = draw(random_field) + lines[i]
        elif kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(draw(st.integers(0, n)), lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, n - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "shuffle":
            k = draw(st.integers(2, 8))
            lines[i : i + k] = draw(st.permutations(lines[i : i + k]))
        elif kind == "replace":
            lines[i] = draw(random_line)
        elif kind == "insert":
            lines.insert(i, draw(random_line))
        elif kind == "width":
            table = FULL if draw(st.booleans()) else HALF
            lines[i] = "".join(table.get(c, c) for c in lines[i])
        elif kind == "numbering":
            old, new = draw(st.sampled_from(NUMBERING))
            lines[i] = lines[i].replace(old, new, 1) if old in lines[i] else new + lines[i]
        elif kind == "char":
            p = draw(st.integers(0, len(lines[i])))
            odd = ["\t", "\r", "\x00", "\x0c", "\x1e", "\u2028", "\x85", "\ufeff", "\ud7ff", "\U0002a6a5"]
            lines[i] = lines[i][:p] + draw(st.sampled_from(fragments + odd)) + lines[i][p:]
        elif kind == "cut-line":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif kind == "delete-block":
            del lines[i : i + draw(st.integers(2, 30))]
        else:
            k = draw(st.integers(2, 20))
            lines[i:i] = lines[i : i + k]
        return lines

    return op


@st.composite
def mutated_text(draw, lines: list[str], fragments: list[str], max_ops: int = 4, min_ops: int = 1) -> str:
    op = _line_ops(fragments)
    for _ in range(draw(st.integers(min_ops, max_ops))):
        lines = draw(op(lines))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@st.composite
def encoded(draw, text: str) -> bytes:
    """``text`` as bytes: mostly UTF-8, else another encoding, mojibake or a BOM."""
    how = draw(st.sampled_from(["utf-8"] * 16 + ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                                 "cp950", "big5", "gb18030", "mojibake", "latin-1",
                                                 "crlf", "cr"]))
    if how in ("cp950", "big5", "gb18030", "latin-1"):
        return text.encode(how, errors="replace")  # the Big5 file a user might have, '?' where not encodable
    if how == "mojibake":
        return text.encode("utf-8").decode("latin-1").encode("utf-8")
    if how == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    if how == "cr":
        return text.replace("\n", "\r").encode("utf-8")
    return text.encode(how, errors="surrogatepass")


@st.composite
def damaged(draw, data: bytes, max_ops: int = 2) -> bytes:
    """``data`` with up to ``max_ops`` byte-level edits (truncation, flips, inserted bytes, a BOM)."""
    for _ in range(draw(st.integers(0, max_ops)) if draw(st.integers(0, 2)) == 0 else 0):
        p = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["truncate", "nul", "invalid", "random", "flip", "bom", "drop"]))
        if kind == "truncate":
            data = data[:p]
        elif kind == "nul":
            data = data[:p] + b"\x00" * draw(st.integers(1, 4)) + data[p:]
        elif kind == "invalid":
            data = data[:p] + draw(st.sampled_from(INVALID_UTF8)) + data[p:]
        elif kind == "random":
            data = data[:p] + draw(st.binary(min_size=1, max_size=16)) + data[p:]
        elif kind == "flip" and data:
            p = min(p, len(data) - 1)
            data = data[:p] + bytes([data[p] ^ (1 << draw(st.integers(0, 7)))]) + data[p + 1 :]
        elif kind == "bom":
            data = draw(st.sampled_from(BOMS)) + data
        elif kind == "drop":
            data = data[:p] + data[p + draw(st.integers(1, 64)) :]
    return data


def hostile(lines: list[str], fragments: list[str], *, gzipped: bool = False, max_ops: int = 4, min_ops: int = 1):
    """Damaged versions of the seed ``lines``: text edits, an encoding, byte edits; or random bytes."""
    @st.composite
    def build(draw) -> bytes:
        source = draw(st.integers(0, 9))
        if source == 9:  # pure random bytes, now and then behind a gzip magic number
            return draw(st.sampled_from([b"", b"\x1f\x8b"])) + draw(st.binary(max_size=2048))
        text = draw(mutated_text(lines, fragments, max_ops, min_ops))
        data = draw(encoded(text))
        if gzipped and draw(st.booleans()):
            if draw(st.booleans()):
                data = draw(damaged(data))
            data = gzip.compress(data, mtime=0)
        return draw(damaged(data))

    return build()


# ----------------------------------------------------------------------------------- the property


def physical_lines(data: bytes) -> int:
    """An upper bound of the lines an error may name: line breaks in the (decompressed) bytes, + 1.

    A line break is LF, CRLF or a lone CR (old Mac files: editors show those as lines too); not
    FF, U+2028 and the other characters only ``str.splitlines`` takes for line breaks.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except Exception:  # noqa: BLE001 - then the error names no line of the content
            pass
    return max(data.count(b"\n"), data.count(b"\r")) + 1


# what may be said of a whole file, with no line: the gzip container, a registry that lists nothing, the
# budget stage or a loader the caller chose
WHOLE_FILE = re.compile(r"gzip|lists no source|unknown budget stage|no such registry file|unknown loader|"
                        r"no loader reads")


def check(family: str, file: str, data: bytes, parse, expected: tuple[type, ...], count: bool = True):
    """Run ``parse()``; the result must be one of ``expected`` or a well-formed PlanKGError.

    ``count``: this call is the case's first, counted in :data:`CASES` by its outcome.
    """
    family = family if count else "uncounted"
    try:
        result = parse()
    except InputError as e:
        assert e.file == file, (e.file, file)
        assert str(e).startswith(f"{file}:" if e.line is not None else f"{file}: "), str(e)
        assert e.message and "\n" not in e.message and "\r" not in e.message, repr(e.message)
        if e.line is not None:
            assert 1 <= e.line <= physical_lines(data), (e.line, physical_lines(data), str(e))
        else:
            assert WHOLE_FILE.search(e.message), f"names no line: {e}"
        CASES[f"{family}: InputError"] += 1
        return e
    except PlanKGError as e:  # another user error: still one line naming the file
        assert str(e).startswith(file) and "\n" not in str(e), str(e)
        CASES[f"{family}: {type(e).__name__}"] += 1
        return e
    assert isinstance(result, expected), type(result)
    for text in strings(result):  # what the build writes out (N-Triples, pages) is UTF-8
        text.encode("utf-8")
    CASES[f"{family}: loaded"] += 1
    return result


def strings(obj, depth: int = 0):
    """Every string in the plain objects ``obj``."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from strings(item, depth + 1)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from strings(key, depth + 1)
            yield from strings(value, depth + 1)
    elif dataclasses.is_dataclass(obj) and depth < 50:
        for f in dataclasses.fields(obj):
            yield from strings(getattr(obj, f.name), depth + 1)


def sniffs(file: str, data: bytes) -> None:
    """Choosing a loader never fails on any bytes (every loader's ``sniff`` runs on them)."""
    assert loader_for(file, data) is not None


# ------------------------------------------------------------------------------------- plan text

PLAN_LINES = SEED.read_text(encoding="utf-8").split("\n")[:-1]
PLAN_FRAGMENTS = ["\t", "一、", "(一)", "（二）", "1.", "2、", "(1)", "①", "- ", "。", "<p>", "</p>", "社會",
                  "社會發展", "科技發展", "壹、年度施政目標及策略", "貳、年度重要計畫", "參、其他",
                  "工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容", "勞動部 108 年度施政計畫",
                  "「願景」作為施政願景", "依據", "\u3000", " ", "十", "九十九、", "一百、"]


@fuzz(400)
@given(data=hostile(PLAN_LINES, PLAN_FRAGMENTS))
def test_plan_text_loader_returns_a_plan_or_an_input_error(data):
    file = "fuzz/mol-108.txt"
    sniffs(file, data)
    check("plan text", file, data, lambda: load(file, data, list(DEFAULT_CATEGORIES)), (Plan,))
    check("plan text", file, data, lambda: load(file, data, list(DEFAULT_CATEGORIES), "plan-text"), (Plan,), False)


# ------------------------------------------------------------------------------------ budget CSV


def _budget_records(name: str) -> tuple[str, list[str]]:
    """(header line, the records) of a shipped budget CSV; each record as its physical lines joined."""
    text = gzip.decompress((DATA / "budget" / name).read_bytes()).decode("utf-8-sig")
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text))
    spans, end = [], 0
    for _ in reader:
        spans.append((end, reader.line_num))
        end = reader.line_num
    return lines[0], ["\n".join(lines[a:b]) for a, b in spans[1:]]


BUDGETS = {name: _budget_records(name) for name, _, _ in budget_csv.SHIPPED}
BUDGET_FRAGMENTS = ["\"", ",", "\"\"", "2019", "2018", "3102010100", "391101A000", "-1", "1,000", "1.",
                    "  (1)", "    <1>", "千元", "較上年度增列", "淨減", "其中", "year,code,amount", "\r",
                    ",".join(budget_csv.COLUMNS), "\t", "9" * 5000, "x" * 140_000]


@st.composite
def budget_inputs(draw) -> tuple[str, bytes, int | None, str | None]:
    """A window of a shipped budget CSV (header + ~40 records), damaged; its name, year and stage."""
    name, stage, year = draw(st.sampled_from(budget_csv.SHIPPED))
    header, records = BUDGETS[name]
    start = draw(st.integers(0, len(records) - 40))
    lines = [header] + "\n".join(records[start : start + 40]).split("\n")
    for _ in range(draw(st.integers(0, 2))):  # a field of a record, or the start of a note's line, replaced
        i = draw(st.integers(1, len(lines) - 1))
        value = draw(st.one_of(st.sampled_from(BUDGET_FRAGMENTS), st.text(max_size=12)))
        if re.match(r"\d{4},", lines[i]):
            fields = lines[i].split(",", 9)
            fields[draw(st.integers(0, len(fields) - 2))] = value
            lines[i] = ",".join(fields)
        else:
            lines[i] = value + lines[i].lstrip(" ")
    data = draw(hostile(lines, BUDGET_FRAGMENTS, gzipped=True, min_ops=0))
    file = draw(st.sampled_from([name.removesuffix(".gz"), name, "budget.csv", "budget.txt"]))
    given_by = draw(st.sampled_from(["registry", "name", "wrong-registry"]))
    if given_by == "registry":
        return file, data, year, stage
    if given_by == "wrong-registry":
        return file, data, year + 1, "enacted" if stage == "proposed" else "proposed"
    return file, data, None, None


@fuzz(250)
@given(case=budget_inputs())
def test_budget_csv_loader_returns_a_budget_or_an_input_error(case):
    file, data, year, stage = case
    sniffs(file, data)
    check("budget CSV", file, data, lambda: budget_csv.parse(data, file=file, year=year, stage=stage),
          (BudgetDocument,))


@fuzz(25)
@given(name=st.sampled_from([n for n, _, _ in budget_csv.SHIPPED]), data=st.data())
def test_budget_csv_loader_on_a_damaged_whole_gzip_file(name, data):
    raw = data.draw(damaged((DATA / "budget" / name).read_bytes(), max_ops=1))
    sniffs(name, raw)
    check("budget CSV", name, raw, lambda: budget_csv.parse(raw, file=name), (BudgetDocument,))


# ---------------------------------------------------------------------------- law index, metadata

INDEX_LINES = gzip.decompress((DATA / "laws" / law_index.INDEX_FILE).read_bytes()).decode("utf-8").split("\n")
METADATA_LINES = gzip.decompress((DATA / "laws" / law_index.METADATA_FILE).read_bytes()).decode("utf-8").split("\n")
LAW_FRAGMENTS = ["{", "}", "[", "]", ",", "\"", ":", "null", "true", "1e999", "\"PCode\":", "\"N0030001\"",
                 "\"name\":\"勞動基準法\"", "\"lastUpdate\":\"20240731\"", "\"lastUpdate\":\"20241399\"",
                 "\"english\":3", "\\u0000", "\\ud800", "\t", "廢", "法律", "命令", "憲法", "19460000",
                 "99991231", "\t".join(law_index.METADATA_COLUMNS), "PCode\t",
                 "[" * 5000, "{\"a\":" * 3000, "1" * 5000, "x" * 140_000]  # deep, long, huge


JSON_VALUES = ["null", "true", "1", "1e999", "-0", "[]", "{}", "\"\"", "\"  \"", "\"\\ud800\"", "\"a\\udfffb\"",
               "\"\\u0000\"", "\"20240231\"", "\"00000000\"", "\"19460000\"", "\"20240700\"", "\"N0030001\"",
               "\"n0030001\"", "\"勞動基準法\"", "\"x（112.12.27制定）\"", "\"1" + "0" * 5000 + "\""]


@st.composite
def law_index_inputs(draw) -> bytes:
    """A window of the shipped law index (``[`` + ~60 laws + ``]``), damaged."""
    body = INDEX_LINES[1:-2]
    start = draw(st.integers(0, len(body) - 60))
    window = body[start : start + 60]
    window[-1] = window[-1].rstrip(",")
    for _ in range(draw(st.integers(0, 3))):  # a value of a law replaced: "name": "…" → "name": <value>
        i = draw(st.integers(0, len(window) - 1))
        key = draw(st.sampled_from(["PCode", "name", "lastUpdate", "english"]))
        value = draw(st.one_of(st.sampled_from(JSON_VALUES), st.text(max_size=12).map(json.dumps)))
        window[i] = re.sub(rf'"{key}":("(?:[^"\\]|\\.)*"|[^,}}]*)', lambda m: f'"{key}":{value}', window[i], count=1)
    return draw(hostile(["["] + window + ["]"], LAW_FRAGMENTS, gzipped=True, min_ops=0))


@fuzz(250)
@given(data=law_index_inputs())
def test_law_index_loader_returns_an_index_or_an_input_error(data):
    file = "fuzz/moj-law-index.json.gz"
    sniffs(file, data)
    check("law index", file, data, lambda: law_index.parse(data, file=file), (LawIndex,))
    check("law index", file, data, lambda: law_index.parse_index(data, file=file), (LawIndex,), False)


@st.composite
def law_metadata_inputs(draw) -> bytes:
    """The shipped law metadata's header and a window of ~60 of its rows, damaged."""
    body = [line for line in METADATA_LINES[1:] if line]
    start = draw(st.integers(0, len(body) - 60))
    return draw(hostile(METADATA_LINES[:1] + body[start : start + 60], LAW_FRAGMENTS, gzipped=True))


@fuzz(200)
@given(data=law_metadata_inputs())
def test_law_metadata_loader_returns_an_index_or_an_input_error(data):
    file = "fuzz/mol-laws-all.tsv"
    sniffs(file, data)
    result = check("law metadata", file, data, lambda: law_index.parse_metadata(data, file=file), (LawIndex,))
    if isinstance(result, LawIndex):  # what the build does with the details: merge them into the index
        merged = law_index.merge(law_index.default_index(), result)
        assert len(merged) >= len(law_index.default_index())
    check("law metadata", file, data, lambda: law_index.parse(data, file=file), (LawIndex,), False)


# -------------------------------------------------------------------------------- registry (TOML)

REGISTRY_LINES = (DATA / "registry.toml").read_text(encoding="utf-8").split("\n")[:-1]
REGISTRY_FRAGMENTS = ["[[plan]]", "[[budget]]", "[laws]", "[[laws]]", "[plan]", "[other]", "plan = 3",
                      "file = \"\"", "file = 3", "file = \"plans\"", "file = \"nope.txt\"", "file = \"plans/\\u0000x\"",
                      "file = \"/\"", "file = \"" + "x" * 300 + "\"", "file = \"../../../../../etc/passwd\"",
                      "year = \"2019\"", "year = true", "year = 1e3", "year = 99999999999999999999",
                      "stage = \"final\"", "stage = [\"enacted\"]", "variant = 3", "variant = \"nope\"",
                      "index = \"laws\"", "details = 1", "name = 1", "name = \"\"", "extra = 1", "=", "\"",
                      "[", "]", "#", "\\", "'''", "\"\"\"", "\t", "\u3000",
                      # values, for a key's value replaced
                      "\"\"", "3", "true", "[]", "{}", "1e3", "2019", "\"2019\"", "\"enacted\"", "\"proposed\"",
                      "\"auto\"", "\"plan-text\"", "\"budget-csv\"", "\"law-index\"", "\"plans\"", "\"nope.txt\"",
                      "\"plans/\\u0000x\"", "\"" + "x" * 300 + "\"", "\"/\"", "\"/dev/null\"", "\"/proc/self/mem\"",
                      "\"laws/mol-laws-all.tsv.gz\"", "\"budget/enacted-2018.csv.gz\"", "\"plans/mol-108.txt\""]


@pytest.fixture(scope="module")
def registry_dir(tmp_path_factory) -> Path:
    """A folder beside which the seed registry's relative paths resolve (links to data/…)."""
    folder = tmp_path_factory.mktemp("registry")
    for sub in ("plans", "budget", "laws"):
        (folder / sub).symlink_to(DATA / sub, target_is_directory=True)
    return folder


REGISTRY_VALUES = [f for f in REGISTRY_FRAGMENTS if "=" not in f and not f.startswith("[")]


@st.composite
def registry_inputs(draw) -> bytes:
    """The seed registry with some keys' values replaced (a path, a year, a stage …), then damaged."""
    lines = list(REGISTRY_LINES)
    keyed = [i for i, line in enumerate(lines) if " = " in line]
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.sampled_from(keyed))
        value = draw(st.one_of(st.sampled_from(REGISTRY_VALUES), st.text(max_size=20).map(repr)))
        lines[i] = lines[i].split(" = ")[0] + " = " + value
    return draw(hostile(lines, REGISTRY_FRAGMENTS, min_ops=0))


@fuzz(250)
@given(data=registry_inputs())
def test_registry_reader_returns_sources_or_an_input_error(registry_dir, data):
    path = registry_dir / "registry.toml"
    path.write_bytes(data)
    check("registry", str(path), data, lambda: read_registry(path), (list,))


# ------------------------------------------------------------------------- end to end: the store


def snapshot(store: Path) -> tuple[str, str, str, tuple[str, ...]]:
    """What readers see: the published build, `plankg stats`, the dumps' checksum, the builds on disk."""
    target = os.readlink(store)
    stats = run_plankg("stats", "--store", str(store), check=True).stdout
    digest = hashlib.sha256()
    for part in sorted((store / "dumps").iterdir()) + [store / "BUILD.json"]:
        digest.update(part.name.encode() + b"\0" + part.read_bytes())
    builds = tuple(sorted(p.name for p in (store.parent / f"{store.name}.builds").iterdir()))
    return target, stats, digest.hexdigest(), builds


@pytest.mark.slow
@fuzz(8)
@given(data=hostile(PLAN_LINES, PLAN_FRAGMENTS, max_ops=2))
def test_a_build_of_hostile_input_publishes_or_fails_cleanly_leaving_the_store_as_it_was(published_store, data):
    store, folder = published_store
    plan = folder / "hostile.txt"
    plan.write_bytes(data)
    before = snapshot(store)
    proc = run_plankg("build", "--no-progress", "--store", str(store), str(plan))  # stderr: the error alone
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    if proc.returncode == 0:
        CASES["build (CLI): published"] += 1
        assert snapshot(store)[0] != before[0]  # a new build is published
        return
    assert proc.returncode in (1, 2), (proc.returncode, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("plankg: error:")]
    assert len(errors) == 1, proc.stderr
    if proc.returncode == 2:
        assert proc.stderr.strip() == errors[0] and errors[0].startswith(f"plankg: error: {plan}"), proc.stderr
    CASES[f"build (CLI): exit {proc.returncode}"] += 1
    assert snapshot(store) == before


@pytest.fixture(scope="module")
def published_store(tmp_path_factory) -> tuple[Path, Path]:
    """A store with the seed plan built and published, and a folder for the hostile plans."""
    folder = tmp_path_factory.mktemp("hostile")
    store = folder / "store"
    run_plankg("build", "--store", str(store), str(SEED), check=True)
    return store, folder
