"""The `plankg` command as a user runs it: a real process, a real store on disk."""

from __future__ import annotations

import csv
import io
import json
import socket
import xml.etree.ElementTree as ET

import pytest
import rdflib

from conftest import PLAN_NS, SEED, run_plankg

COUNT_PROGRAMS = f"PREFIX plan: <{PLAN_NS}> SELECT (COUNT(*) AS ?n) WHERE {{ ?p a plan:Program }}"


def test_issue_example_query_prints_44(built_store):
    proc = run_plankg("query", "--store", str(built_store), COUNT_PROGRAMS, check=True)
    assert proc.stdout.split() == ["n", "44"]


def test_build_prints_a_summary_with_the_seed_counts(tmp_path):
    proc = run_plankg("build", "--store", str(tmp_path / "s"), str(SEED), check=True)
    assert "8 goals, 42 strategies, 11 work plans, 44 programs (40 社會發展, 3 科技發展, 1 公共建設), 140 activities" in proc.stdout
    assert "SHACL: conforms" in proc.stdout


@pytest.mark.parametrize("cls,count", [("Goal", 8), ("Strategy", 42), ("WorkPlan", 11), ("Activity", 140)])
def test_class_counts_in_the_store(built_store, cls, count):
    q = f"PREFIX plan: <{PLAN_NS}> SELECT (COUNT(*) AS ?n) WHERE {{ ?x a plan:{cls} }}"
    proc = run_plankg("query", "--store", str(built_store), "--format", "csv", q, check=True)
    assert list(csv.reader(io.StringIO(proc.stdout))) == [["n"], [str(count)]]


def test_query_from_file_and_stdin(built_store, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text(COUNT_PROGRAMS, encoding="utf-8")
    assert run_plankg("query", "--store", str(built_store), f"@{rq}", check=True).stdout.split() == ["n", "44"]
    assert run_plankg("query", "--store", str(built_store), "-", input=COUNT_PROGRAMS, check=True).stdout.split() == ["n", "44"]


def test_store_from_environment_variable(built_store):
    proc = run_plankg("query", COUNT_PROGRAMS, env={"PLANKG_STORE": str(built_store)}, check=True)
    assert proc.stdout.split() == ["n", "44"]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_formats_parse_back(built_store, fmt):
    q = f"PREFIX plan: <{PLAN_NS}> SELECT ?w ?name WHERE {{ ?w a plan:WorkPlan ; plan:ordinal 1 ; rdfs:label ?name }}"
    q = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + q
    out = run_plankg("query", "--store", str(built_store), "--format", fmt, q, check=True).stdout
    if fmt == "json":
        rows = json.loads(out)["results"]["bindings"]
        assert rows[0]["name"] == {"type": "literal", "value": "綜合規劃業務", "xml:lang": "zh-hant"}  # Oxigraph normalises language tags to lower case
    elif fmt == "xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        assert [e.text for e in ET.fromstring(out).iter(f"{ns}literal")] == ["綜合規劃業務"]
    elif fmt == "csv":
        assert list(csv.reader(io.StringIO(out)))[1] == [f"{rows_base()}mol/108/work-plan/1", "綜合規劃業務"]
    else:
        assert out.splitlines()[1].split("\t") == [f"<{rows_base()}mol/108/work-plan/1>", '"綜合規劃業務"@zh-hant']


def rows_base() -> str:
    return "https://w3id.org/plankg/id/"


@pytest.mark.parametrize("fmt,rdflib_format", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_construct_formats_parse_back(built_store, fmt, rdflib_format):
    q = f"PREFIX plan: <{PLAN_NS}> CONSTRUCT {{ ?g plan:hasStrategy ?s }} WHERE {{ ?g plan:hasStrategy ?s }}"
    out = run_plankg("query", "--store", str(built_store), "--format", fmt, q, check=True).stdout
    g = rdflib.Graph().parse(data=out, format=rdflib_format)
    assert len(g) == 42


def test_ask_prints_true(built_store):
    out = run_plankg("query", "--store", str(built_store), f"ASK {{ ?s a <{PLAN_NS}AnnualPlan> }}", check=True).stdout
    assert out.strip() == "true"


def test_query_syntax_error_is_one_line_with_exit_2(built_store):
    proc = run_plankg("query", "--store", str(built_store), "SELEC * WHERE { ?s ?p ?o }")
    assert proc.returncode == 2
    assert proc.stderr.startswith("plankg: error:") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["tsv", "table"])
def test_a_format_that_does_not_fit_the_results_is_one_line_with_exit_2(built_store, fmt):
    """The results were made on the query's thread: the error must not carry them to another
    (pyoxigraph then printed "RuntimeError: … is unsendable, but is being dropped on another thread")."""
    proc = run_plankg("query", "--store", str(built_store), "--format", fmt, "--example", "08")
    assert proc.returncode == 2
    assert proc.stderr.startswith("plankg: error:") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize("command", ["build", "serve"])
def test_a_store_path_the_file_system_refuses_is_exit_3_without_a_traceback(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    proc = run_plankg(command, "--store", str(blocker / "store"), *(["--port", "0"] if command == "serve" else []))
    assert proc.returncode == 3
    assert f"plankg: error: cannot publish the store at {blocker / 'store'}" in proc.stderr
    assert f"'{blocker}'" in proc.stderr  # the system's reason, naming the path in the way
    assert "Traceback" not in proc.stderr


def test_serve_on_a_port_in_use_is_exit_2_at_once(built_store):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = run_plankg("serve", "--store", str(built_store), "--port", str(port))
    assert proc.returncode == 2
    assert f"plankg: error: cannot listen on 127.0.0.1:{port}: Address already in use" in proc.stderr
    assert "Traceback" not in proc.stderr and "Starting gunicorn" not in proc.stderr


def test_serve_on_a_directory_that_is_not_a_store_is_exit_3(tmp_path):
    proc = run_plankg("serve", "--store", str(tmp_path), "--port", "0")
    assert proc.returncode == 3
    assert f"plankg: error: no plankg store at {tmp_path}" in proc.stderr and "plankg build" in proc.stderr
    assert "Traceback" not in proc.stderr and "Starting gunicorn" not in proc.stderr


def test_missing_store_is_exit_3_with_hint(tmp_path):
    proc = run_plankg("query", "--store", str(tmp_path / "nowhere"), COUNT_PROGRAMS)
    assert proc.returncode == 3
    assert "plankg build" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("fmt,rdflib_format", [("nquads", "nquads"), ("trig", "trig")])
def test_export_keeps_named_graphs(built_store, tmp_path, fmt, rdflib_format):
    out = tmp_path / f"dump.{fmt}"
    run_plankg("export", "--store", str(built_store), "--format", fmt, "-o", str(out), check=True)
    ds = rdflib.Dataset()
    ds.parse(out, format=rdflib_format)
    graphs = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert f"{rows_base()}graph/mol/108" in graphs
    assert "https://w3id.org/plankg/ontology" in graphs


@pytest.mark.parametrize("fmt,rdflib_format", [("ttl", "turtle"), ("jsonld", "json-ld")])
def test_export_union_formats_to_stdout(built_store, fmt, rdflib_format):
    out = run_plankg("export", "--store", str(built_store), "--format", fmt, check=True).stdout
    g = rdflib.Graph().parse(data=out, format=rdflib_format)
    assert (rdflib.URIRef(f"{rows_base()}mol/108"), rdflib.RDF.type, rdflib.URIRef(PLAN_NS + "AnnualPlan")) in g


def test_stats_lists_graphs_and_plan_counts(built_store):
    out = run_plankg("stats", "--store", str(built_store), check=True).stdout
    assert f"graph <{rows_base()}graph/mol/108>" in out
    assert "8 Goal, 42 Strategy, 11 WorkPlan, 44 Program, 140 Activity" in out


@pytest.mark.parametrize("command", ["build", "validate", "query", "export", "stats"])
def test_every_command_has_help(command):
    proc = run_plankg(command, "--help", check=True)
    assert "Usage: plankg " + command in proc.stdout


def test_validate_bundled_plans_conforms():
    proc = run_plankg("validate", check=True)
    assert "conforms" in proc.stdout


def test_custom_base_mints_iris_under_it(tmp_path):
    store = tmp_path / "s"
    run_plankg("build", "--store", str(store), str(SEED), "--base", "https://example.org/kg/", check=True)
    q = f"SELECT ?p WHERE {{ ?p a <{PLAN_NS}AnnualPlan> }}"
    assert run_plankg("query", "--store", str(store), q, check=True).stdout.split() == ["p", "https://example.org/kg/mol/108"]


def test_invalid_base_is_refused(tmp_path):
    proc = run_plankg("build", "--store", str(tmp_path / "s"), "--base", "not an iri")
    assert proc.returncode == 2 and "invalid IRI base" in proc.stderr


def test_build_of_a_given_file_records_its_name(tmp_path):
    plan = tmp_path / "my-plan.txt"
    plan.write_bytes(SEED.read_bytes())
    store = tmp_path / "s"
    run_plankg("build", "--store", str(store), str(plan), check=True)
    q = f"SELECT DISTINCT ?f WHERE {{ ?l <{PLAN_NS}sourceFile> ?f }}"
    assert run_plankg("query", "--store", str(store), q, check=True).stdout.split() == ["f", "my-plan.txt"]


def test_a_build_leaves_its_heap_to_the_os_at_exit_and_main_in_process_returns(tmp_path):
    """The console script ends a build with os._exit once its output is flushed: no freeing of
    the build's objects, so no atexit handler runs; its output and exit code are those of the
    build. Called in-process (click's test runner), the command returns as usual."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from plankg.cli import main

    script = ("import atexit, sys\nfrom plankg.cli import entry\natexit.register(lambda: print('freed one by one'))\n"
              f"sys.argv = ['plankg', 'build', {str(SEED)!r}, '--store', {str(tmp_path / 'store')!r}]\nentry()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={"PLANKG_CACHE_DIR": "off", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "published to" in proc.stdout and "freed one by one" not in proc.stdout
    bad = subprocess.run([sys.executable, "-c", script.replace(str(SEED), str(tmp_path / "missing.txt"))],
                         capture_output=True, text=True, timeout=300, env={"PLANKG_CACHE_DIR": "off", "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 2 and "freed one by one" in bad.stdout  # an error exits as usual
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "store")])
    assert result.exit_code == 0 and "mol/108" in result.output
