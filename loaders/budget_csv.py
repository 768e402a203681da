"""The central government general budget (中央政府總預算) as published in CSV → :class:`BudgetDocument`.

The format (see ``data/SOURCES.md``): UTF-8 (a BOM is allowed; other encodings such as Big5 are
refused, naming the first bad line), optionally gzip-compressed, a header line with the columns
``year,code,amount,name,topname,depname,depcat,cat,ref,note`` (in any order; more are ignored),
then one record per budget code: ``year`` Gregorian; ``code`` 10 digits (a classified budget's has
a capital letter: ``391101A000``), unique in the file; ``amount`` whole TWD; ``note`` the 說明,
quoted and multi-line. The note's numbered items become :class:`LineItem` objects
(:mod:`plankg.loaders.budget_notes` says how).

The year and stage (``proposed`` 預算案 / ``enacted`` 法定預算) of a document are given by the
caller; by default they come from the file name (``enacted-2019.csv``, ``proposed-2019.csv.gz``),
the year else from the first row. Every row's ``year`` must be the document's.

Records are read with :mod:`csv`; each keeps the physical lines it spans (``Source``), and every
error is an :class:`InputError` naming the file and the line of the record at fault.

The build does not map budgets to RDF yet: :mod:`plankg.build.pipeline` refuses them.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Iterator, Sequence
from pathlib import PurePath

from plankg import resources
from plankg.errors import InputError
from plankg.loaders.budget_notes import MAX_DIGITS, parse_note
from plankg.loaders.model import BudgetDocument, BudgetRow, Source
from plankg.loaders.registry import Loader

COLUMNS = ("year", "code", "amount", "name", "topname", "depname", "depcat", "cat", "ref", "note")
STAGES = ("proposed", "enacted")
BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
_NAME = re.compile(r"(proposed|enacted)-(\d{4})\.csv(?:\.gz)?$", re.I)

# The documents shipped in the package plankg.data.budget: (file, stage, year).
SHIPPED = (
    ("enacted-2018.csv.gz", "enacted", 2018),
    ("proposed-2019.csv.gz", "proposed", 2019),
    ("enacted-2019.csv.gz", "enacted", 2019),
)


def read_budget(data: bytes, *, file: str, year: int | None = None, stage: str | None = None) -> BudgetDocument:
    """The budget CSV ``data`` read from ``file`` (a name for errors and sources)."""
    text = _text(_uncompressed(data, file), file)
    records = _records(text, file)
    header, at_line, _ = next(records, (None, 1, 1))
    if header is None:
        raise InputError(file, 1, f"empty file: expected the header line {','.join(COLUMNS)} and a row per budget code")
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(file, at_line, f"missing column(s) {', '.join(missing)}: expected the header line "
                                        f"{','.join(COLUMNS)}")
    if len(set(header)) != len(header):
        twice = sorted({c for c in header if header.count(c) > 1})
        raise InputError(file, at_line, f"column(s) {', '.join(twice)} given twice in the header")
    at = {c: header.index(c) for c in COLUMNS}
    named = _NAME.search(PurePath(file).name)
    stage = stage or (named.group(1).lower() if named else None)
    if stage not in STAGES:
        raise InputError(file, None, f"unknown budget stage {stage!r}: expected proposed or enacted, given by "
                                     "the caller or by a file name such as enacted-2019.csv")
    if year is None and named:
        year = int(named.group(2))
    rows: list[BudgetRow] = []
    seen: dict[str, int] = {}
    last = 1
    for fields, line, end in records:
        if len(fields) != len(header):
            raise InputError(file, line, f"expected {len(header)} fields as in the header, found {len(fields)}")
        year = _year(fields[at["year"]].strip(), year, stage, file, line)
        row = _row(fields, at, Source(file, line, end))
        if row.code in seen:
            raise InputError(file, line, f"code {row.code} is given twice, on lines {seen[row.code]} and {line}: "
                                         "expected each code once")
        seen[row.code] = line
        rows.append(row)
        last = end
    if not rows:
        raise InputError(file, at_line + 1, "no rows after the header: expected a row per budget code")
    return BudgetDocument(file, year, stage, rows, Source(file, 1, last))


def parse(data: bytes, *, file: str, categories: Sequence[str] = (), year: int | None = None,
          stage: str | None = None) -> BudgetDocument:
    """The registry's entry point (``categories`` are a plan's and play no part here)."""
    return read_budget(data, file=file, year=year, stage=stage)


def sniff(filename: str, head: bytes) -> bool:
    """A ``.csv``/``.csv.gz`` whose header has year, code and amount, or any file with the whole header."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head)
        except zlib.error:
            return False
    first = head.removeprefix(BOM).split(b"\n", 1)[0].decode("utf-8", "replace")
    fields = {f.strip().strip('"') for f in first.split(",")}
    if filename.lower().endswith((".csv", ".csv.gz")) and {"year", "code", "amount"} <= fields:
        return True
    return set(COLUMNS) <= fields


def shipped_documents() -> list[BudgetDocument]:
    """The budget documents shipped with the package (``data/budget``), oldest first."""
    return [shipped_document(stage, year) for _, stage, year in SHIPPED]


def shipped_document(stage: str, year: int) -> BudgetDocument:
    """The shipped ``stage`` budget of ``year``; KeyError if none is shipped."""
    for name, s, y in SHIPPED:
        if (s, y) == (stage, year):
            return read_budget(resources.budget_file(name).read_bytes(), file=f"<bundled>/budget/{name}",
                               year=year, stage=stage)
    raise KeyError(f"no {stage} budget of {year} is shipped")


LOADER = Loader("budget-csv", sniff=sniff, parse=parse)


def _uncompressed(data: bytes, file: str) -> bytes:
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(file, None, f"starts like gzip but cannot be decompressed ({e})") from None


def _text(data: bytes, file: str) -> str:
    try:
        return data.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError as e:
        raw = data.removeprefix(BOM)
        line = raw[:e.start].count(b"\n") + 1
        raise InputError(file, line, f"byte 0x{raw[e.start]:02x} is not UTF-8: a budget CSV must be UTF-8 "
                                     "(with or without a BOM); convert it first, e.g. iconv -f BIG5 -t UTF-8") from None


def _records(text: str, file: str) -> Iterator[tuple[list[str], int, int]]:
    """(fields, first line, last line) of each non-blank record; the header comes first."""
    lines = text.split("\n")
    physical = (l + "\n" for l in lines[:-1]) if not lines[-1] else (l + "\n" for l in lines)
    reader = csv.reader(physical, strict=True)
    end = 0
    while True:
        start = end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise InputError(file, start, f"not valid CSV ({e}): expected comma-separated fields, "
                                          "those with commas, quotes or line breaks in double quotes") from None
        end = reader.line_num
        if any(f.strip() for f in fields):
            yield fields, start, end


def _year(given: str, year: int | None, stage: str, file: str, line: int) -> int:
    """The document's year, checked against a row's ``given`` one (which sets it if still unknown)."""
    if not re.fullmatch(r"\d{4}", given):
        raise InputError(file, line, f"year {given!r}: expected a Gregorian year such as {year or 2019}")
    if year is not None and int(given) != year:
        raise InputError(file, line, f"year {given} in a row of the {stage} budget of {year}: expected {year}")
    return int(given)


def _row(fields: list[str], at: dict[str, int], source: Source) -> BudgetRow:
    file, line = source.file, source.line
    code, amount = fields[at["code"]].strip(), fields[at["amount"]].strip()
    if not re.fullmatch(r"[0-9A-Z]{10}", code):
        raise InputError(file, line, f"code {code!r}: expected 10 digits (or capital letters, as in the "
                                     "classified budgets' 391101A000)")
    if not re.fullmatch(r"\d+", amount):
        raise InputError(file, line, f"amount {amount!r} of code {code}: expected a whole number of TWD, digits only")
    if len(amount) > MAX_DIGITS:
        raise InputError(file, line, f"amount of code {code} has {len(amount)} digits: expected a whole number of "
                                     f"TWD of at most {MAX_DIGITS} digits")
    note = fields[at["note"]].replace("\r\n", "\n").replace("\r", "\n")
    # the note starts after the line breaks of the fields before it
    note_line = line + sum(fields[i].count("\n") for i in range(at["note"]))
    preamble, items = parse_note(note, file, note_line)
    get = {c: fields[i] for c, i in at.items()}
    return BudgetRow(code, int(amount), get["name"], get["topname"], get["depname"], get["depcat"], get["cat"],
                     get["ref"], note, source, items, preamble)


__all__ = ["COLUMNS", "STAGES", "SHIPPED", "read_budget", "parse", "sniff", "shipped_documents",
           "shipped_document", "LOADER"]
