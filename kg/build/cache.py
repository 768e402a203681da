"""Where a build keeps what it computed, for the next build to take instead of computing it again.

One folder, with a subfolder per kind of cache:

* ``validation``: SHACL reports, :mod:`plankg.build.validation_cache`;
* ``plans``: each plan mapped, :mod:`plankg.build.plan_units`;
* ``others``: the budgets', laws' and budget links' graphs, :mod:`plankg.build.other_units`;
* ``alignment``: ranked pairs, :mod:`plankg.build.align.memo`;
* ``aligned``: each plan's alignment graphs and the last build's candidate searches,
  :mod:`plankg.build.align.outputs` and :mod:`plankg.build.align.searches`;
* ``void``: what the VoID statistics read of each graph, :mod:`plankg.build.void_summary`;
* ``turtle``: the metadata's Turtle, a subject's block at a time, :mod:`plankg.build.turtle_blocks`.

The folder is ``PLANKG_CACHE_DIR``, else ``$XDG_CACHE_HOME/plankg``, else ``~/.cache/plankg``.
``PLANKG_CACHE_DIR=off`` turns every cache off: each build computes everything. Every entry is
named by a digest of everything it depends on, so a cache is never stale, only unused; a cache
that cannot be read or written is ignored (the work is done).
"""

from __future__ import annotations

import marshal
import os
import sys
import tempfile
import zlib
from pathlib import Path

ENV = "PLANKG_CACHE_DIR"
OFF = "off"


def folder(kind: str) -> Path | None:
    """The folder of the cache ``kind``, or None when caching is off."""
    configured = os.environ.get(ENV)
    if configured == OFF:
        return None
    if configured:
        return Path(configured) / kind
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "plankg" / kind


def write(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text: UTF-8) to ``path`` at once (a reader sees the old file or the new one), or nothing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(out.name, path)
    except OSError:
        pass


def link(source: Path, path: Path) -> None:
    """Make ``path`` name what ``source`` names, at once: a hard link (a copy where links cannot be
    made), or nothing."""
    try:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.link.tmp")
        try:
            os.link(source, tmp)
        except FileExistsError:
            os.unlink(tmp)
            os.link(source, tmp)
        os.replace(tmp, path)
    except OSError:
        try:
            write(path, source.read_bytes())
        except OSError:
            pass


def write_marshal(path: Path, what: str, value) -> None:
    """Keep ``value`` (dicts, lists, strings, numbers) in ``path`` with :mod:`marshal`, after a line
    naming ``what`` it is, the Python version (marshal's format is Python's) and the CRC-32 of the
    rest (:func:`read_marshal`): several times faster than JSON to write and read. A value marshal
    cannot write (a subclass of str, say) is not kept, as a file that cannot be written is not."""
    try:
        body = marshal.dumps(value)
    except ValueError:
        return
    write(path, _head(what, zlib.crc32(body)) + body)


def read_marshal(path: Path, what: str):
    """What :func:`write_marshal` kept in ``path`` as ``what``, or None (no file, another kind, another
    Python, or a rest whose CRC-32 is not the one its first line names)."""
    try:
        data = path.read_bytes()
        head, _, body = data.partition(b"\n")
        if head + b"\n" != _head(what, zlib.crc32(body)):
            return None
        return marshal.loads(body)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _head(what: str, crc: int) -> bytes:
    return f"plankg {what} python {sys.version} marshal {marshal.version} crc32 {crc}\n".encode()


__all__ = ["folder", "write", "link", "write_marshal", "read_marshal", "ENV", "OFF"]
