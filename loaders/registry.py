"""Which loader reads an input: by name (an explicit variant) or by sniffing its name and first bytes.

A loader is a :class:`Loader`: a ``name``, a ``sniff(filename, head) -> bool`` that claims an
input from its file name and its first :data:`HEAD_BYTES` bytes, and a
``parse(data, file=…, categories=…)`` that returns a :data:`Document`: a
:class:`plankg.loaders.model.Plan`, or another kind of source such as a
:class:`plankg.loaders.model.BudgetDocument` or a :class:`plankg.loaders.law_model.LawIndex`
(raising :class:`plankg.errors.InputError` naming the file and line on bad input). The build maps
only plans so far.

A module of ``plankg.loaders`` that defines ``LOADER`` is registered when the registry is first
used, so a new template variant or source kind is one new module. :func:`register` adds one from
elsewhere (a plug-in, a test). Loaders are asked in name order; the one marked ``fallback`` (the
plan text loader, whose errors say what a plan should look like) reads whatever no other claims.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from plankg.errors import InputError
from plankg.loaders.law_model import LawIndex
from plankg.loaders.model import BudgetDocument, Plan

HEAD_BYTES = 4096

Document = Plan | BudgetDocument | LawIndex
"""What a loader returns."""


@dataclass(frozen=True)
class Loader:
    name: str
    sniff: Callable[[str, bytes], bool]
    parse: Callable[..., Document]
    """``parse(data: bytes, *, file: str, categories: Sequence[str]) -> Document``."""
    fallback: bool = False


_loaders: dict[str, Loader] = {}
_discovered = [False]


def register(loader: Loader) -> Loader:
    """Make ``loader`` available (replacing one of the same name); returns it."""
    _discover()
    if loader.fallback and any(l.fallback for l in _loaders.values() if l.name != loader.name):
        raise ValueError(f"loader {loader.name!r}: there is already a fallback loader")  # a bug
    _loaders[loader.name] = loader
    return loader


def unregister(name: str) -> None:
    _loaders.pop(name, None)


def loaders() -> list[Loader]:
    """The registered loaders, in the order they are asked (the fallback last)."""
    _discover()
    return sorted(_loaders.values(), key=lambda l: (l.fallback, l.name))


def loader_for(file: str, data: bytes, variant: str | None = None) -> Loader:
    """The loader for the input ``file`` with contents ``data``: ``variant`` if given, else sniffed."""
    known = loaders()
    if variant is not None:
        for loader in known:
            if loader.name == variant:
                return loader
        raise InputError(file, None, f"unknown loader {variant!r}: expected one of "
                                     f"{', '.join(l.name for l in known)}")
    head = data[:HEAD_BYTES]
    for loader in known:
        if loader.fallback or loader.sniff(file, head):
            return loader
    raise InputError(file, None, f"no loader reads this input (tried {', '.join(l.name for l in known)})")


def load(file: str, data: bytes, categories: Sequence[str], variant: str | None = None) -> Document:
    """``data`` read by its loader (see :func:`loader_for`)."""
    return loader_for(file, data, variant).parse(data, file=file, categories=categories)


def _discover() -> None:
    """Register the ``LOADER`` of every module of this package (once)."""
    if _discovered[0]:
        return
    _discovered[0] = True
    package = importlib.import_module(__package__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__package__}.{info.name}")
        loader = getattr(module, "LOADER", None)
        if isinstance(loader, Loader):
            _loaders.setdefault(loader.name, loader)


__all__ = ["Loader", "Document", "register", "unregister", "loaders", "loader_for", "load", "HEAD_BYTES"]
