"""Decoding URL query strings, as Werkzeug does, at C speed: the request class of the app.

A SPARQL query in a URL is long and mostly percent-encoded (Chinese text is nine bytes per
character), and the standard library decodes it one escape at a time in Python: it was the
largest single cost of a GET request in the app (bench/RESULTS.md).
:func:`parse_qsl` gives exactly what Werkzeug's ``Request.args`` gets from
``urllib.parse.parse_qsl(qs, keep_blank_values=True, errors="werkzeug.url_quote")`` (a test
compares the two on many generated strings), decoding the escapes with
:func:`binascii.a2b_qp`, whose ``=XX`` escapes are ``%XX`` by another name. Anything unusual
(a ``%`` not followed by two hex digits, a character that is not ASCII) is left to the
standard library.
"""

from __future__ import annotations

import binascii
import re
import urllib.parse

from flask import Request as FlaskRequest
from werkzeug.utils import cached_property

import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" error handler

ERRORS = "werkzeug.url_quote"  # undecodable bytes stay percent-encoded, as in Werkzeug
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def unquote_plus(text: str) -> str:
    """``urllib.parse.unquote_plus(text, errors=ERRORS)``."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if not text.isascii() or _BAD_ESCAPE.search(text):
        return urllib.parse.unquote(text, errors=ERRORS)
    # Every "%" starts an escape now: as "=", a2b_qp decodes it; a literal "=" becomes "=3D".
    return binascii.a2b_qp(text.replace("=", "=3D").replace("%", "=")).decode("utf-8", ERRORS)


def parse_qsl(qs: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(qs, keep_blank_values=True, errors=ERRORS)``."""
    pairs = []
    for field in qs.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


class Request(FlaskRequest):
    """Flask's request, with its URL parameters decoded by :func:`parse_qsl`."""

    @cached_property
    def args(self):
        return self.parameter_storage_class(parse_qsl(self.query_string.decode()))
