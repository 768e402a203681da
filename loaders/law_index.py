"""The national law index (全國法規資料庫) and the MOL law metadata, read into plain objects (no RDF).

Two inputs, both shipped gzipped in :mod:`plankg.data.laws` (:func:`default_index` reads them):

* the **law index**, ``moj-law-index.json``: a JSON array of every law and order of the national
  Laws and Regulations Database, one object a line::

      {"PCode": "N0030001", "name": "勞動基準法", "lastUpdate": "20240731", "english": "Labor Standards Act"}

  (``english`` only where the database has an official English name);
* the **law metadata**, ``mol-laws-all.tsv``: tab-separated, a header line and one law a line, with
  the columns ``PCode LawLevel LawName EngLawName LawCategory LawModifiedDate LawEffectiveDate
  LawAbandonNote`` (others are ignored); ``LawAbandonNote`` is ``廢`` for an abolished law. The
  shipped file holds the 383 laws filed under 勞動部 or 行政院勞工委員會.

Both read into a :class:`LawIndex` of :class:`Law` objects (:mod:`plankg.loaders.law_model`);
:func:`merge` enriches the index with the metadata's level, category and abolition flag, by PCode. Bad input raises
:class:`plankg.errors.InputError` naming the file and the line (of the offending object or row).

**Level from the name.** Where the metadata does not say whether a law is a statute (法律) or an order
(命令), :func:`level_from_name` decides it from the name when the name is unambiguous: by 中央法規標準法
(Central Regulation Standard Act, A0030133) Art. 2 a statute is named 法, 律, 條例 or 通則, and by
Art. 3 an order is named 規程, 規則, 細則, 辦法, 綱要, 標準 or 準則. Order suffixes are tested first
(辦法 ends in 法). A trailing parenthesis that tells two laws of one name apart, e.g.
``（112.12.27制定）``, is ignored. Anything else stays None: the staffing tables (…編制表, 616 in the
shipped index), the ten names ending otherwise (…登記, …稅則, …編), and every law of the
constitution block (PCodes ``A00000…``, 14), where the rule fails: 訓政結束程序法 (A0000004) is
of constitutional level (憲法) although it ends in 法. Checked against the 394 laws whose level the
research metadata gives (the MOL metadata and the laws the plans cite): 382 agree, 12 (編制表)
stay None, none is given a wrong level. On the shipped index the level is known for 10,907 of
11,547 laws: 383 from the metadata, 10,524 from the name.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from functools import cache
from importlib.resources import files

from plankg.errors import InputError
from plankg.loaders.law_model import LEVELS, PCODE, Law, LawIndex, base_name, level_from_name
from plankg.loaders.model import Source
from plankg.loaders.plan_text import decode
from plankg.loaders.json_text import JSON_DEPTH_MAX, LineCounter as _LineCounter, skip_space as _skip_space
from plankg.loaders.json_text import too_deep_at as _too_deep_at
from plankg.loaders.registry import HEAD_BYTES, Loader

INDEX_FILE = "moj-law-index.json.gz"
METADATA_FILE = "mol-laws-all.tsv.gz"
METADATA_COLUMNS = ("PCode", "LawLevel", "LawName", "EngLawName", "LawCategory", "LawModifiedDate",
                    "LawEffectiveDate", "LawAbandonNote")


def _unzip(data: bytes, file: str) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(file, None, f"not a valid gzip file: {e}") from None


def _date(value: object, what: str, file: str, line: int) -> date | None:
    """A YYYYMMDD date; empty is None, and so is a date known only to the year (``19460000``)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{8}", value):
        raise InputError(file, line, f"bad {what} {value!r}: expected a date as YYYYMMDD, e.g. 20240731")
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    if month == 0 and day == 0:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError(file, line, f"bad {what} {value!r}: no such date (expected YYYYMMDD)") from None


def _pcode(value: object, file: str, line: int) -> str:
    if not isinstance(value, str) or not PCODE.fullmatch(value):
        raise InputError(file, line, f"malformed PCode {value!r}: expected an upper-case letter and seven "
                                     f"digits, e.g. N0030001")
    return value


def _name(value: object, pcode: str, file: str, line: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(file, line, f"law {pcode} has no name")
    return value.strip()


def _no_duplicate(seen: dict[str, int], pcode: str, file: str, line: int) -> None:
    if pcode in seen:
        raise InputError(file, line, f"PCode {pcode} is given twice: on line {seen[pcode]} and on line {line}")
    seen[pcode] = line


def parse_index(data: bytes, *, file: str) -> LawIndex:
    """The law index (JSON, gzipped or not): see the module's documentation."""
    text = decode(_unzip(data, file), file)
    decoder = json.JSONDecoder()
    line_of = _LineCounter(text)

    def fail(at: int, message: str) -> InputError:
        return InputError(file, line_of(at), message)

    def invalid(e: json.JSONDecodeError) -> InputError:
        return InputError(file, e.lineno, f"invalid JSON: {e.msg} (column {e.colno})")

    i = _skip_space(text, 0)
    if i == len(text):
        raise InputError(file, 1, "empty file: expected a JSON array of laws")
    if text[i] != "[":
        raise fail(i, "expected a JSON array of laws, [{\"PCode\": …, \"name\": …, \"lastUpdate\": …}, …]")
    too_deep = _too_deep_at(text)
    if too_deep is not None:  # json recurses once per level, up to Python's recursion limit (which others raise)
        raise fail(too_deep, f"invalid JSON: nested too deeply (more than {JSON_DEPTH_MAX} levels): expected a "
                             "law, {\"PCode\": …, \"name\": …, \"lastUpdate\": …}")
    laws: list[Law] = []
    seen: dict[str, int] = {}
    i = _skip_space(text, i + 1)
    while i < len(text) and text[i] != "]":
        try:
            item, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise invalid(e) from None
        except ValueError as e:  # a number of more digits than int() converts (4300 by default)
            raise fail(i, f"invalid JSON: a number too long to read ({str(e).split(';')[0]}): expected a law, "
                          "{\"PCode\": …, \"name\": …, \"lastUpdate\": …}") from None
        except RecursionError:  # arrays or objects nested thousands deep
            raise fail(i, "invalid JSON: nested too deeply: expected a law, "
                          "{\"PCode\": …, \"name\": …, \"lastUpdate\": …}") from None
        line = line_of(i)
        laws.append(_index_entry(item, file, line, seen))
        i = _skip_space(text, end)
        if i < len(text) and text[i] == ",":
            i = _skip_space(text, i + 1)
            if i < len(text) and text[i] == "]":
                raise fail(i, "invalid JSON: trailing comma before ]")
        elif i < len(text) and text[i] != "]":
            raise fail(i, f"invalid JSON: expected , or ] after the law on line {line}, found {text[i]!r}")
    if i == len(text):
        raise InputError(file, line_of(len(text)), "invalid JSON: the array is not closed with ]")
    rest = _skip_space(text, i + 1)
    if rest != len(text):
        raise fail(rest, "invalid JSON: text after the array's closing ]")
    if not laws:
        raise InputError(file, line_of(i), "the array holds no law")
    return LawIndex(file, laws)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _index_entry(item: object, file: str, line: int, seen: dict[str, int]) -> Law:
    if not isinstance(item, dict):
        raise InputError(file, line, f"expected a law, {{\"PCode\": …, \"name\": …, \"lastUpdate\": …}}, "
                                     f"found {type(item).__name__}")
    pcode = _pcode(item.get("PCode"), file, line)
    name = _name(item.get("name"), pcode, file, line)
    english = item.get("english")
    if english is not None and not isinstance(english, str):
        raise InputError(file, line, f"law {pcode}: english is {english!r}, expected a string")
    for key, text in (("name", name), ("english", english or "")):
        if m := _SURROGATE.search(text):  # a JSON escape "\ud800" of half a character: not text, no UTF-8 for it
            raise InputError(file, line, f"law {pcode}: {key} holds the escape \\u{ord(m.group()):04x}, half of a "
                                         "UTF-16 surrogate pair: expected text")
    last_amended = _date(item.get("lastUpdate"), "lastUpdate", file, line)
    _no_duplicate(seen, pcode, file, line)
    english = english.strip() if english else None
    return Law(pcode, name, english or None, last_amended,
               level=None, category=None, abolished=None, source=Source.at(file, line))


def parse_metadata(data: bytes, *, file: str) -> LawIndex:
    """The law metadata (TSV, gzipped or not): see the module's documentation."""
    text = decode(_unzip(data, file), file)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(file, 1, f"expected a header line: {' '.join(METADATA_COLUMNS)} (tab-separated)")
    header = lines[0].split("\t")
    missing = [c for c in METADATA_COLUMNS if c not in header]
    if missing:
        raise InputError(file, 1, f"missing column(s) {', '.join(missing)}: the header needs "
                                  f"{' '.join(METADATA_COLUMNS)} (tab-separated)")
    col = {name: header.index(name) for name in METADATA_COLUMNS}
    laws: list[Law] = []
    seen: dict[str, int] = {}
    for n, row in _tsv_rows(lines[1:], file):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(file, n, f"expected {len(header)} tab-separated fields as in the header, "
                                      f"found {len(row)}")
        cell = {name: row[i].strip() for name, i in col.items()}
        pcode = _pcode(cell["PCode"], file, n)
        name = _name(cell["LawName"], pcode, file, n)
        level = cell["LawLevel"] or None
        if level is not None and level not in LEVELS:
            raise InputError(file, n, f"law {pcode}: unknown LawLevel {level!r}, expected one of {', '.join(LEVELS)}")
        note = cell["LawAbandonNote"]
        if note not in ("", "廢"):
            raise InputError(file, n, f"law {pcode}: unknown LawAbandonNote {note!r}, expected 廢 or nothing")
        last_amended = _date(cell["LawModifiedDate"], "LawModifiedDate", file, n)
        effective = _date(cell["LawEffectiveDate"], "LawEffectiveDate", file, n)  # 99991231: not yet fixed
        _no_duplicate(seen, pcode, file, n)
        laws.append(Law(pcode, name, cell["EngLawName"] or None, last_amended, level, cell["LawCategory"] or None,
                        note == "廢", Source.at(file, n), "database" if level else None, effective))
    if not laws:
        raise InputError(file, len(lines), "no law after the header")
    return LawIndex(file, laws)


def _tsv_rows(lines: list[str], file: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of the metadata's rows, the first being line 2 (after the header)."""
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter="\t", quoting=csv.QUOTE_NONE)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # a cell over the csv module's field size limit (131072 characters)
            raise InputError(file, reader.line_num + 1, f"not valid TSV ({e}): expected a law a line, "
                                                        "its fields separated by tabs") from None
        yield reader.line_num + 1, row


def merge(index: LawIndex, metadata: LawIndex | None = None) -> LawIndex:
    """``index`` with each law's level, category, abolition and effective date from ``metadata`` (same PCode).

    A law the metadata does not hold gets its level from its name where that is unambiguous
    (:func:`level_from_name`), else None; its category and abolition stay None. The index's name,
    date and source are kept; its English name too, else the metadata's. Laws only the metadata
    holds are added at the end, so nothing read is dropped.
    """
    meta = metadata or LawIndex("", [])
    out: list[Law] = []
    for law in index:
        m = meta.get(law.pcode)
        if m is not None:
            out.append(replace(law, english=law.english or m.english, level=m.level, category=m.category,
                               abolished=m.abolished, level_basis=m.level_basis, effective=m.effective))
        else:
            level = level_from_name(law.name, law.pcode)
            out.append(replace(law, level=level, level_basis="name" if level else None))
    out.extend(m for m in meta if m.pcode not in index)
    return LawIndex(index.file, out)


@cache
def default_index() -> LawIndex:
    """The index shipped in :mod:`plankg.data.laws`, merged with the MOL metadata (read once)."""
    package = files("plankg.data.laws")
    index = parse_index(package.joinpath(INDEX_FILE).read_bytes(), file=f"<bundled>/{INDEX_FILE}")
    metadata = parse_metadata(package.joinpath(METADATA_FILE).read_bytes(), file=f"<bundled>/{METADATA_FILE}")
    return merge(index, metadata)


def _head_text(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head)
        except zlib.error:
            return ""
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")


def sniff(file: str, head: bytes) -> bool:
    """A law index (a JSON array whose first object has a PCode) or the law metadata (its header)."""
    text = _head_text(head)
    if text.startswith("PCode\t"):
        return True
    return text.startswith("[") and re.match(r'\[\s*\{\s*"PCode"\s*:', text) is not None


def parse(data: bytes, *, file: str, categories: Sequence[str] = ()) -> LawIndex:
    """The registry's entry: the law metadata when the input starts with its header, else the index."""
    if _head_text(data[:HEAD_BYTES]).startswith("PCode\t"):
        return parse_metadata(data, file=file)
    return parse_index(data, file=file)


LOADER = Loader("law-index", sniff=sniff, parse=parse)
"""Reads the law index and the law metadata into a :class:`LawIndex` (not a plan)."""


__all__ = ["Law", "LawIndex", "PCODE", "base_name", "level_from_name", "parse_index", "parse_metadata",
           "merge", "default_index", "LOADER"]
