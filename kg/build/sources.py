"""The registry of sources a build loads: plans, budget documents and the law index, from a TOML file.

The bundled registry (``data/registry.toml``, package :mod:`plankg.data`) lists the shipped
plan, the three shipped budget documents and the national law index; ``plankg build --registry
FILE`` reads another. File paths in a registry are relative to the registry's own folder. Every
entry becomes a :class:`SourceSpec` holding the file's bytes, so nothing later depends on the
working directory. A registry with an unknown kind, a missing or unknown key, a bad value or a
missing file is an :class:`~plankg.errors.InputError` naming the registry file and the line of the
entry (``tomllib`` gives the line of a syntax error itself); so is a registry not in UTF-8 (a
BOM is allowed), naming the line of the first bad byte.

The format::

    [[plan]]                       # one per plan text
    file = "plans/mol-108.txt"
    variant = "auto"               # the loader (plankg.loaders.registry), or "auto": sniffed

    [[budget]]                     # one per budget document (a DGBAS budget CSV)
    file = "budget/enacted-2019.csv.gz"
    year = 2019                    # the fiscal year (Gregorian)
    stage = "enacted"              # or "proposed"

    [laws]                         # at most one: the national law index
    index = "laws/moj-law-index.json.gz"
    details = "laws/mol-laws-all.tsv.gz"   # optional: level, category, abolition of some laws
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from plankg.errors import InputError
from plankg.loaders.plan_text import decode

REGISTRY_NAME = "registry.toml"
STAGES = ("proposed", "enacted")
KEYS = {  # kind → (required keys, optional keys)
    "plan": ({"file"}, {"variant", "name"}),
    "budget": ({"file", "year", "stage"}, {"name"}),
    "laws": ({"index"}, {"details", "name"}),
}


@dataclass(frozen=True)
class SourceSpec:
    """One source to load: its kind, the file's name (provenance) and path (errors), its bytes, its options."""

    kind: str  # "plan", "budget" or "laws"
    name: str
    path: str
    data: bytes
    options: dict[str, Any] = field(default_factory=dict)
    extra: tuple[tuple[str, bytes], ...] = ()  # further files of the source: (path, bytes), e.g. the law details


def bundled_registry() -> Path:
    return Path(str(files("plankg.data").joinpath(REGISTRY_NAME)))


def read_registry(path: str | Path | None = None) -> list[SourceSpec]:
    """The sources listed by the registry at ``path`` (default: the bundled one), in file order per kind."""
    registry = Path(path) if path is not None else bundled_registry()
    shown = str(path) if path is not None else f"<bundled>/{REGISTRY_NAME}"
    try:
        data = registry.read_bytes()
    except FileNotFoundError:
        raise InputError(shown, None, "no such registry file") from None
    except (IsADirectoryError, PermissionError) as e:
        raise InputError(shown, None, f"cannot read the registry: {e.__class__.__name__}") from None
    except OSError as e:
        raise InputError(shown, None, f"cannot read the registry: {e.strerror or e.__class__.__name__}") from None
    text = decode(data, shown)  # UTF-8 (a BOM is dropped), else an InputError naming the line
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # Python < 3.14 gives the position only in the message
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(e))
        if m:
            raise InputError(shown, int(m.group(1)), f"not valid TOML: {str(e)[:m.start()]} "
                                                     f"(column {m.group(2)})") from None
        end = re.search(r"\s*\(at end of document\)$", str(e))  # a truncated file: name its last line
        what = str(e)[:end.start()] + " at the end of the file" if end else str(e)
        raise InputError(shown, text.rstrip("\n").count("\n") + 1 if end else None,
                         f"not valid TOML: {what}") from None
    lines = _entry_lines(text)
    folder = registry.parent
    specs: list[SourceSpec] = []
    for kind, entries in doc.items():
        if kind not in KEYS:
            raise InputError(shown, _line_of(text, rf"^\s*(?:\[+\s*)?[\"']?{re.escape(kind)}[\"']?\s*[.=\]]"),
                             f"unknown source kind {kind!r}: expected one of {', '.join(KEYS)}")
        if kind == "laws" and isinstance(entries, list):
            raise InputError(shown, lines[kind][1] if len(lines[kind]) > 1 else None,
                             "the law index is given twice: expected one [laws] table")
        for n, entry in enumerate(entries if isinstance(entries, list) else [entries]):
            # an entry of an inline array (plan = [{…}, {…}]) is at the array's line
            line = lines[kind][min(n, len(lines[kind]) - 1)] if lines[kind] else None
            specs.append(_spec(kind, entry, folder, shown, line))
    if not specs:
        raise InputError(shown, None, "lists no source: expected [[plan]], [[budget]] or [laws] entries")
    return specs


def _spec(kind: str, entry: Any, folder: Path, shown: str, line: int | None) -> SourceSpec:
    if not isinstance(entry, dict):
        raise InputError(shown, line, f"[{kind}] must be a table of keys")
    required, optional = KEYS[kind]
    missing = sorted(required - entry.keys())
    if missing:
        raise InputError(shown, line, f"[{kind}] entry lacks {', '.join(missing)}")
    unknown = sorted(entry.keys() - required - optional)
    if unknown:
        raise InputError(shown, line, f"[{kind}] entry has unknown key(s) {', '.join(unknown)}: expected "
                                      f"{', '.join(sorted(required | optional))}")
    options: dict[str, Any] = {}
    if kind == "plan":
        variant = entry.get("variant", "auto")
        if not isinstance(variant, str):
            raise InputError(shown, line, "variant must be a loader name or \"auto\"")
        options["variant"] = None if variant == "auto" else variant
    if kind == "budget":
        year, stage = entry["year"], entry["stage"]
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 < year < 2200:
            raise InputError(shown, line, f"year must be a Gregorian year such as 2019, not {year!r}")
        if stage not in STAGES:
            raise InputError(shown, line, f"stage must be one of {', '.join(STAGES)}, not {stage!r}")
        options.update(year=year, stage=stage)
    main_key = "index" if kind == "laws" else "file"
    path, data = _read(entry[main_key], folder, shown, line, main_key)
    extra = ()
    if kind == "laws" and "details" in entry:
        extra = (_read(entry["details"], folder, shown, line, "details"),)
    name = entry.get("name") or Path(path).name
    return SourceSpec(kind, str(name), path, data, options, extra)


def _read(value: Any, folder: Path, shown: str, line: int | None, key: str) -> tuple[str, bytes]:
    if not isinstance(value, str) or not value:
        raise InputError(shown, line, f"{key} must be a file path")
    path = folder / value
    try:
        return str(path), path.read_bytes()
    except FileNotFoundError:
        raise InputError(shown, line, f"{key} {value!r}: no such file (relative to {folder})") from None
    except (IsADirectoryError, PermissionError) as e:
        raise InputError(shown, line, f"{key} {value!r}: cannot be read ({e.__class__.__name__})") from None
    except OSError as e:  # EIO, a name too long, a loop of links …: still the registry's value at fault
        raise InputError(shown, line, f"{key} {value!r}: cannot be read ({e.strerror or e.__class__.__name__})") from None
    except ValueError:  # the path holds a NUL character (TOML's "\u0000")
        raise InputError(shown, line, f"{key} {value!r}: expected a file path, found a NUL character") from None


def _entry_lines(text: str) -> dict[str, list[int]]:
    """Kind → the 1-based line of each of its table headers, in order (or of ``kind = …`` before any table)."""
    out: dict[str, list[int]] = {kind: [] for kind in KEYS}
    in_table = False
    for number, raw in enumerate(text.split("\n"), 1):
        m = re.match(r"^\s*\[\[?\s*([A-Za-z_-]+)\s*\]\]?", raw)
        in_table = in_table or raw.lstrip().startswith("[")
        if m is None and not in_table:  # a top-level key: plan = …
            m = re.match(r"""^\s*["']?([A-Za-z_-]+)["']?\s*=""", raw)
        if m and m.group(1) in out:
            out[m.group(1)].append(number)
    return out


def _line_of(text: str, pattern: str) -> int | None:
    for number, raw in enumerate(text.split("\n"), 1):
        if re.match(pattern, raw):
            return number
    return None


__all__ = ["SourceSpec", "read_registry", "bundled_registry", "REGISTRY_NAME"]
