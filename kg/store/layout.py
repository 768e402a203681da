"""The layout of a store path ``P`` (:mod:`plankg.store.publishing` describes it): the builds
folder ``P.builds``, the lock ``P.lock``, the symlink ``P`` and its temporary siblings; finding the
current and previous builds, making a new build directory, deleting old ones, and the atomic switch.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from plankg.errors import StoreError
from plankg.store.builddir import BUILD_INFO, fsync_path

BUILDS_SUFFIX = ".builds"
LOCK_SUFFIX = ".lock"
TMP_LINK_INFIX = ".tmp-"
BUILD_NAME = re.compile(r"^\d{8}T\d{12}Z-\d+$")  # 20261125T130501123456Z-4242
TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True)
class Layout:
    """The paths that belong to the store path ``path``."""

    path: Path

    @property
    def builds(self) -> Path:
        return self.path.with_name(self.path.name + BUILDS_SUFFIX)

    @property
    def lock(self) -> Path:
        return self.path.with_name(self.path.name + LOCK_SUFFIX)

    def tmp_link(self) -> Path:
        return self.path.with_name(f"{self.path.name}{TMP_LINK_INFIX}{os.getpid()}")

    def stale_tmp_links(self) -> list[Path]:
        pattern = glob.escape(self.path.name) + TMP_LINK_INFIX + "*"
        return [p for p in self.path.parent.glob(pattern) if p.is_symlink()]


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``lock_path`` (released on exit or death)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise StoreError(
                f"another build is running (pid {holder} holds {lock_path}); "
                "wait for it to finish and try again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)


def current_build(layout: Layout) -> Path | None:
    """The build ``layout.path`` points to, or None; refuse anything publish did not create."""
    path = layout.path
    if not os.path.lexists(path):
        return None
    if not path.is_symlink():
        raise StoreError(
            f"{path} exists and was not created by plankg (it is not a symlink into "
            f"{layout.builds}); refusing to replace it: move it away or choose another store path"
        )
    target = Path(os.path.normpath(path.parent / os.readlink(path)))
    if target.parent.resolve() != layout.builds.resolve() or not BUILD_NAME.match(target.name):
        raise StoreError(
            f"{path} is a symlink to {target}, not to a build in {layout.builds}; "
            "refusing to replace it: move it away or choose another store path"
        )
    return layout.builds / target.name


def previous_of(build: Path | None) -> Path | None:
    """The build that was current before ``build``, as recorded in its BUILD.json."""
    if build is None:
        return None
    try:
        info = json.loads((build / BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or unreadable: no previous build to keep
        return None
    name = info.get("previous") if isinstance(info, dict) else None
    return build.parent / name if isinstance(name, str) and BUILD_NAME.match(name) else None


def collect_garbage(layout: Layout, keep: set[Path | None]) -> tuple[Path, ...]:
    """Delete builds other than ``keep`` and stale temporary symlinks; return what went."""
    removed: list[Path] = []
    for link in layout.stale_tmp_links():
        link.unlink(missing_ok=True)
        removed.append(link)
    if not layout.builds.is_dir():
        return tuple(removed)
    keep_names = {p.name for p in keep if p is not None}
    for entry in sorted(layout.builds.iterdir()):
        if BUILD_NAME.match(entry.name) and entry.name not in keep_names:
            shutil.rmtree(entry, ignore_errors=True)  # best effort: retried next publish
            if not entry.exists():
                removed.append(entry)
    return tuple(removed)


def new_build_dir(layout: Layout) -> Path:
    """Create an empty, uniquely named build directory in ``layout.builds``."""
    layout.builds.mkdir(exist_ok=True)
    name = f"{datetime.now(timezone.utc).strftime(TIME_FORMAT)}-{os.getpid()}"
    build_dir = layout.builds / name
    build_dir.mkdir()
    return build_dir


@contextmanager
def discarded_on_failure(build_dir: Path) -> Iterator[None]:
    """Delete ``build_dir`` unless the body completes (the next publish retries if this fails)."""
    finished = False
    try:
        yield
        finished = True
    finally:
        if not finished:
            shutil.rmtree(build_dir, ignore_errors=True)


def switch(layout: Layout, build_dir: Path) -> None:
    """Point ``layout.path`` at ``build_dir`` with one atomic rename, then make it durable."""
    tmp = layout.tmp_link()
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build_dir, layout.path.parent), tmp)
    os.replace(tmp, layout.path)
    fsync_path(layout.path.parent, os.O_RDONLY | os.O_DIRECTORY)
