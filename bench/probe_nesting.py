#!/usr/bin/env python3
"""Find how deep each SPARQL shape can nest before pyoxigraph overflows a thread's stack.

Not a test: it prints, for each shape, the largest size that ran and the smallest that
crashed the process (SIGSEGV), on a thread of ``--stack-mib`` MiB. Each probe runs in a
child process (``timeout 20``); a probe that runs out of time is reported as slow, not as a
crash (that is the query time limit's business). The numbers are the ones quoted in
``kg/sparql/limits.py``.

    .venv/bin/python bench/probe_nesting.py --stack-mib 8 [--shape braces …]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import subprocess
import sys

MAX_TEXT = 1 << 20  # the server's MAX_BODY_BYTES: nothing larger reaches pyoxigraph over HTTP

W = "SELECT * WHERE "


def _q(text: str) -> tuple[str, str]:
    return "query", text


def _u(text: str) -> tuple[str, str]:
    return "update", text


# name -> n -> (kind, text); n is the nesting depth or the chain length
SHAPES = {
    # nesting
    "braces": lambda n: _q(W + "{" * n + "}" * n),
    "parens": lambda n: _q(W + "{ FILTER(" + "(" * n + "1" + ")" * n + ") }"),
    "bang": lambda n: _q(W + "{ FILTER(" + "!" * n + "true) }"),
    "calls": lambda n: _q(W + "{ FILTER(" + "STR(" * n + "1" + ")" * n + ") }"),
    "subqueries": lambda n: _q(W + "{SELECT * WHERE " * n + "{}" + "}" * n),
    "optional": lambda n: _q(W + "{OPTIONAL " * n + "{}" + "}" * n),
    "not_exists": lambda n: _q(W + "{FILTER NOT EXISTS " * n + "{}" + "}" * n),
    "filter_exists": lambda n: _q(W + "{FILTER(EXISTS" * n + "{}" + ")}" * n),
    "if_calls": lambda n: _q(W + "{ FILTER(" + "IF(true," * n + "1" + ",1)" * n + ") }"),
    "iri_calls": lambda n: _q(W + "{ FILTER(" + "<http://e/f>(" * n + "1" + ")" * n + ") }"),
    "exists_calls": lambda n: _q(W + "{FILTER(STR(EXISTS" * n + "{}" + "))}" * n),
    "bind_exists": lambda n: _q(W + "{BIND(EXISTS" * n + "{}" + " AS ?x)}" * n),
    "bang_parens": lambda n: _q(W + "{ FILTER(" + "!(" * n + "true" + ")" * n + ") }"),
    "collection": lambda n: _q(W + "{ ?s ?p " + "(" * n + "1" + ")" * n + " }"),
    "path_parens": lambda n: _q(W + "{ ?s " + "(" * n + "<http://e/p>" + ")" * n + " ?o }"),
    "path_inverse": lambda n: _q(W + "{ ?s " + "^(" * n + "<http://e/p>" + ")" * n + " ?o }"),
    "path_star": lambda n: _q(W + "{ ?s " + "(" * n + "<http://e/p>" + ")*" * n + " ?o }"),
    "bnode": lambda n: _q(W + "{ ?s <http://e/p> " + "[<http://e/p> " * n + "1" + "]" * n + " }"),
    "triple_terms": lambda n: _q(W + "{ " + "<< " * n + "?s ?p ?o" + " >> ?p ?o" * n + " }"),
    "triple_terms_paren": lambda n: _q(W + "{ ?s ?p " + "<<( ?s ?p " * n + "?o" + " )>>" * n + " }"),
    "update_braces": lambda n: _u("INSERT { <http://e/s> <http://e/p> 1 } WHERE " + "{" * n + "}" * n),
    "update_collection": lambda n: _u("INSERT DATA { <http://e/s> <http://e/p> " + "(" * n + "1" + ")" * n + " }"),
    # chains
    "union": lambda n: _q(W + "{ " + "{} UNION " * n + "{} }"),
    "plus": lambda n: _q(W + "{ FILTER(" + "1+" * n + "1) }"),
    "times": lambda n: _q(W + "{ FILTER(" + "1*" * n + "1) }"),
    "and": lambda n: _q(W + "{ FILTER(" + "true&&" * n + "true) }"),
    "or": lambda n: _q(W + "{ FILTER(" + "true||" * n + "true) }"),
    "path_seq": lambda n: _q(W + "{ ?s " + "<http://e/p>/" * n + "<http://e/p> ?o }"),
    "path_alt": lambda n: _q(W + "{ ?s " + "<http://e/p>|" * n + "<http://e/p> ?o }"),
    "optional_chain": lambda n: _q(W + "{ " + "OPTIONAL{} " * n + "}"),
    "minus_chain": lambda n: _q(W + "{ " + "MINUS{} " * n + "}"),
    "filter_chain": lambda n: _q(W + "{ " + "FILTER(true) " * n + "}"),
    "triples_same": lambda n: _q(W + "{ " + "?s ?p ?o . " * n + "}"),
    "triples_distinct": lambda n: _q(W + "{ " + "".join(f"?s{i} <http://e/p> ?o{i} . " for i in range(n)) + "}"),
    "object_list": lambda n: _q(W + "{ ?s ?p " + "1," * n + "1 }"),
    "predicate_list": lambda n: _q(W + "{ ?s " + "<http://e/p> 1;" * n + "<http://e/p> 1 }"),
    "flat_collection": lambda n: _q(W + "{ ?s ?p (" + "1 " * n + ") }"),
    "in_list": lambda n: _q(W + "{ FILTER(1 IN (" + "1," * n + "1)) }"),
    "values": lambda n: _q(W + "{ VALUES ?x { " + "1 " * n + "} }"),
    "update_data": lambda n: _u("INSERT DATA { " + "<http://e/s> <http://e/p> 1 . " * n + "}"),
    "update_ops": lambda n: _u("INSERT DATA { <http://e/s> <http://e/p> 1 } ;" * n + "INSERT DATA { <http://e/s> <http://e/p> 1 }"),
}

CHILD = r"""
import sys, threading, pyoxigraph as ox
kind, stack = sys.argv[1], int(sys.argv[2])
text = sys.stdin.read()
threading.stack_size(stack)
out = []
def run():
    s = ox.Store()
    try:
        if kind == "query":
            r = s.query(text)
            if not isinstance(r, ox.QueryBoolean):
                for _ in r: pass
        else:
            s.update(text)
        out.append("ok")
    except Exception as e:
        out.append("error " + str(e)[:100])
t = threading.Thread(target=run); t.start(); t.join()
print(out[0])
"""


def probe(shape: str, n: int, stack: int, timeout_s: float) -> str:
    """'ok', 'error …' (pyoxigraph refused it), 'crash' (a signal) or 'slow' (out of time)."""
    kind, text = SHAPES[shape](n)
    try:
        p = subprocess.run(["timeout", str(timeout_s), sys.executable, "-c", CHILD, kind, str(stack)],
                           input=text, capture_output=True, text=True)
    except OSError as e:  # pragma: no cover
        return f"error {e}"
    if p.returncode == 124:
        return "slow"
    if p.returncode < 0 or p.returncode > 128:
        return "crash"
    return p.stdout.strip() or f"error rc={p.returncode} {p.stderr.strip()[-100:]}"


def search(shape: str, stack: int, timeout_s: float, start: int = 64) -> str:
    """The crash threshold of ``shape``: doubling, then bisection to within 1%. A slow probe
    (out of time, no crash) counts as surviving: the crash, if any, comes quickly, in the parser."""
    lo, n, slow = 0, start, None
    while True:
        size = len(SHAPES[shape](n)[1])
        if size > MAX_TEXT:
            return f"{shape:20} no crash up to {lo:,} (the largest that fits in {MAX_TEXT:,} bytes){_slow(slow)}"
        r = probe(shape, n, stack, timeout_s)
        if r == "crash":
            hi = n
            break
        if r == "slow":
            slow = n if slow is None else slow
        elif r != "ok":
            return f"{shape:20} {r} at {n:,} (ran at {lo:,})"
        lo, n = n, n * 2
    while hi - lo > max(1, lo // 100):
        mid = (lo + hi) // 2
        r = probe(shape, mid, stack, timeout_s)
        if r == "crash":
            hi = mid
        elif r in ("ok", "slow"):
            lo = mid
        else:
            return f"{shape:20} {r} at {mid:,} (ran at {lo:,}, crashed at {hi:,})"
    return f"{shape:20} runs at {lo:,}, crashes at {hi:,}{_slow(slow)}"


def _slow(n: int | None) -> str:
    return "" if n is None else f"; over the time limit from {n:,}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stack-mib", type=int, default=8)
    ap.add_argument("--timeout-s", type=float, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES))
    args = ap.parse_args()
    stack = args.stack_mib << 20
    print(f"thread stack {args.stack_mib} MiB")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for line in pool.map(lambda s: search(s, stack, args.timeout_s), args.shape or list(SHAPES)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
