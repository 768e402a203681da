"""Security headers on every kind of response, through a real `plankg serve`.

Every response says ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy``; documents a
browser renders (HTML, SVG) also carry a Content-Security-Policy that runs only our own scripts
and forbids framing. No response names the server software.
"""

from __future__ import annotations

import socket

import pytest

from plankg.server.http import CONTENT_SECURITY_POLICY
from backends import every_backend

sparql_server, update_server = every_backend()  # the hostile-input checks on every store backend


ASK = "/sparql?query=ASK%7B%7D"
EVERY = {"x-content-type-options": "nosniff", "referrer-policy": "strict-origin-when-cross-origin"}
DOCUMENT = {"content-security-policy": CONTENT_SECURITY_POLICY, "x-frame-options": "DENY"}


@pytest.mark.parametrize(("path", "accept", "status", "content_type", "document"), [
    ("/", "text/html", 200, "text/html", True),
    ("/query", "text/html", 200, "text/html", True),
    ("/static/plankg.css", "*/*", 200, "text/css", False),
    ("/static/favicon.svg", "*/*", 200, "image/svg+xml", True),
    (ASK, "application/sparql-results+json", 200, "application/sparql-results+json", False),
    ("/sparql?query=SELEC", "application/sparql-results+json", 400, "text/plain", False),
    ("/no/such/page", "text/html", 404, "text/html", True),
])
def test_each_response_carries_the_security_headers(sparql_server, path, accept, status, content_type, document):
    got, headers, _ = sparql_server.get(path, headers={"Accept": accept})
    assert got == status and headers["content-type"].startswith(content_type)
    assert {k: headers.get(k) for k in EVERY} == EVERY
    if document:
        assert {k: headers.get(k) for k in DOCUMENT} == DOCUMENT
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers


def test_an_answer_to_a_request_the_server_cannot_parse_carries_them_too(sparql_server):
    with socket.create_connection(("127.0.0.1", sparql_server.port), timeout=30) as sock:
        sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 400")
    for name, value in EVERY.items():
        assert f"{name}: {value}" in head
    assert "\r\nserver:" not in head
