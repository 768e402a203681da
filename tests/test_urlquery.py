"""plankg.server.urlquery decodes URL query strings exactly as Werkzeug's Request.args does."""

from __future__ import annotations

import random
import urllib.parse

import pytest

from plankg.server.urlquery import ERRORS, parse_qsl, unquote_plus

# Escapes valid and broken, separators, "+", "=", control and non-ASCII characters, and the
# percent-encoded UTF-8 of Chinese text (valid, and cut in the middle of a character).
PIECES = ["%", "%2", "%25", "%3D", "%3d", "%2B", "%E4%B8%AD", "%E4%B8", "%FF", "%0A", "%0D%0A", "%00", "%zz",
          "=", "==", "&", "&&", ";", "+", " ", "\t", "_", "a", "Z", "0", "9", "f", "G", "é", "中", "?", "#", "/"]


def reference(qs: str) -> list[tuple[str, str]]:
    return urllib.parse.parse_qsl(qs, keep_blank_values=True, errors=ERRORS)


def test_parse_qsl_matches_the_standard_library_on_generated_strings():
    rng = random.Random(17469)
    for _ in range(20000):
        qs = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 24)))
        assert parse_qsl(qs) == reference(qs), qs


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o } # 青年 =",
    "a=b&c=d",
    "100% sure",
    "x" * 5000,
    "".join(chr(c) for c in range(1, 0x250)),
])
def test_an_encoded_value_decodes_to_itself(text):
    encoded = urllib.parse.urlencode({"query": text, "format": "json"})
    assert parse_qsl(encoded) == [("query", text), ("format", "json")]
    assert unquote_plus(urllib.parse.quote(text, safe="")) == text


def test_the_server_reads_url_parameters_with_it(sparql_server):
    status, _, body = sparql_server.get("/sparql", {"query": "ASK { FILTER(\"中+%\" = \"中+%\") } # 青年", "format": "csv"})
    assert status == 200 and body.strip().endswith(b"true")
