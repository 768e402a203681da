"""StratML Part 1 export (plankg.stratml): `plankg export --format stratml` and /export/stratml/<plan>.

The expected values are read with SPARQL from the same store (the session's ``built_store``), not
hard-coded, apart from the seed plan's counts (8 goals, 42 strategies). The schema is read from
``../shared/reference/stratml/``: its licence is unstated, so it is not in the repository, and
the tests that validate skip without it. The HTTP tests talk to a real `plankg serve`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from conftest import BASE, SEED, SHARED, run_plankg
from plankg.store import open_location

SCHEMA = SHARED / "reference" / "stratml" / "StrategicPlanISOVersion20140401.xsd"
NS = "urn:ISO:std:iso:17469:tech:xsd:stratml_core"
S = {"s": NS}
PLAN = BASE + "mol/108"
PREFIXES = """PREFIX plan: <https://w3id.org/plankg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX void: <http://rdfs.org/ns/void#>
"""
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


def sparql(store: Path, query: str) -> list[dict[str, str]]:
    """SELECT rows as {variable: plain value} from the store (the union of its graphs)."""
    with open_location(store) as kg:
        solutions = kg.query(PREFIXES + query)
        names = [v.value for v in solutions.variables]
        return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def texts(element, path: str) -> list[str]:
    return [e.text for e in element.findall(path, S)]


@pytest.fixture(scope="module")
def schema(shared_dir) -> etree.XMLSchema:
    if not SCHEMA.is_file():
        pytest.skip(f"the StratML schema is absent ({SCHEMA}); it is not shipped: its licence is unstated")
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.fixture(scope="module")
def exported(built_store, tmp_path_factory) -> bytes:
    """`plankg export --format stratml -o FILE` of the seed store, as bytes."""
    out = tmp_path_factory.mktemp("stratml") / "plan.xml"
    run_plankg("export", "--store", str(built_store), "--format", "stratml", "-o", str(out), check=True)
    return out.read_bytes()


@pytest.fixture(scope="module")
def doc(exported) -> etree._Element:
    return etree.fromstring(exported)


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory) -> Path:
    """A store with the seed plan and a copy of it as 109, whose goal 1 has an ampersand and whose
    work plans have no responsible unit (no mapping for 109)."""
    tmp = tmp_path_factory.mktemp("two-plans")
    text = SEED.read_text(encoding="utf-8").replace("108 年度", "109 年度")
    plan = tmp / "mol-109.txt"
    plan.write_text(text.replace("一、推辦職訓多元管道", "一、推辦職訓(R&D)多元管道", 1), encoding="utf-8")
    run_plankg("build", "--store", str(tmp / "store"), str(SEED), str(plan), check=True)
    return tmp / "store"


# ----------------------------------------------------------------------------- the document

@pytest.mark.shared
def test_the_seed_plan_validates_against_the_stratml_schema(schema, doc):
    assert schema.validate(doc), schema.error_log
    assert doc.tag == f"{{{NS}}}StrategicPlan"


def test_goals_and_objectives_are_the_plans_goals_and_strategies(built_store, doc):
    goals = sparql(built_store, f"""SELECT ?g ?label WHERE {{ <{PLAN}> plan:hasGoal ?goal .
        ?goal plan:ordinal ?g ; rdfs:label ?label }} ORDER BY ?g""")
    strategies = sparql(built_store, f"""SELECT ?g ?s ?label WHERE {{ <{PLAN}> plan:hasGoal ?goal .
        ?goal plan:ordinal ?g ; plan:hasStrategy ?st . ?st plan:ordinal ?s ; rdfs:label ?label }} ORDER BY ?g ?s""")
    found = doc.findall("s:StrategicPlanCore/s:Goal", S)
    assert len(found) == len(goals) == 8
    assert sum(len(g.findall("s:Objective", S)) for g in found) == len(strategies) == 42
    assert [g.findtext("s:Name", namespaces=S) for g in found] == [r["label"] for r in goals]
    assert [g.findtext("s:Description", namespaces=S) for g in found] == [r["label"] for r in goals]
    assert [g.findtext("s:SequenceIndicator", namespaces=S) for g in found] == [r["g"] for r in goals]
    objectives = [(o.findtext("s:Identifier", namespaces=S), o.findtext("s:SequenceIndicator", namespaces=S),
                   o.findtext("s:Name", namespaces=S)) for g in found for o in g.findall("s:Objective", S)]
    assert objectives == [(f"goal-{r['g']}-strategy-{r['s']}", f"{r['g']}.{r['s']}", r["label"]) for r in strategies]
    assert found[1].findtext("s:Identifier", namespaces=S) == "goal-2"
    assert found[1].findtext("s:OtherInformation", namespaces=S) == f"{PLAN}/goal/2 (mol-108.txt:17)"


def test_stakeholders_of_goals_and_objectives_are_the_target_groups(built_store, doc):
    rows = sparql(built_store, f"""SELECT DISTINCT ?g ?s ?name WHERE {{ <{PLAN}> plan:hasGoal ?goal .
        ?goal plan:ordinal ?g ; plan:hasStrategy ?st . ?st plan:ordinal ?s ; plan:targetGroup/skos:prefLabel ?name .
        FILTER(langMatches(lang(?name), "zh-Hant")) }}""")
    by_strategy: dict[str, set[str]] = {}
    for r in rows:
        by_strategy.setdefault(f"goal-{r['g']}-strategy-{r['s']}", set()).add(r["name"])
    assert len(by_strategy) > 10  # most strategies name no group; enough do
    for goal in doc.findall("s:StrategicPlanCore/s:Goal", S):
        union: set[str] = set()
        for o in goal.findall("s:Objective", S):
            ident = o.findtext("s:Identifier", namespaces=S)
            stakeholders = o.findall("s:Stakeholder", S)
            assert {s.get("StakeholderTypeType") for s in stakeholders} <= {"Generic_Group"}
            names = [s.findtext("s:Name", namespaces=S) for s in stakeholders]
            assert len(names) == len(set(names)) and set(names) == by_strategy.get(ident, set()), ident
            union |= set(names)
        goal_names = texts(goal, "s:Stakeholder/s:Name")
        assert len(goal_names) == len(set(goal_names)) and set(goal_names) == union
        assert all(s.get("StakeholderTypeType") == "Generic_Group" for s in goal.findall("s:Stakeholder", S))
    youth = doc.find("s:StrategicPlanCore/s:Goal/s:Objective[s:Identifier='goal-1-strategy-2']/s:Stakeholder", S)
    assert (youth.findtext("s:Name", namespaces=S), youth.findtext("s:Description", namespaces=S)) == ("青年", "Youth")


def test_organisation_vision_and_administrative_information(built_store, doc):
    org = doc.find("s:StrategicPlanCore/s:Organization", S)
    assert [org.findtext(f"s:{n}", namespaces=S) for n in ("Name", "Acronym", "Identifier", "Description")] == [
        "勞動部", "MOL", "org-mol", "Ministry of Labor"]
    units = sparql(built_store, f"""SELECT ?name (MIN(?n) AS ?first) WHERE {{ <{PLAN}> plan:hasWorkPlan ?w .
        ?w plan:ordinal ?n ; plan:responsibleUnit/skos:prefLabel ?name . FILTER(langMatches(lang(?name), "zh-Hant"))
        }} GROUP BY ?name ORDER BY ?first ?name""")
    assert texts(org, "s:Stakeholder/s:Name") == [r["name"] for r in units] and len(units) == 11
    assert {s.get("StakeholderTypeType") for s in org.findall("s:Stakeholder", S)} == {"Organization"}
    (vision,) = sparql(built_store, f"SELECT ?label WHERE {{ <{PLAN}> plan:hasVision/rdfs:label ?label }}")
    assert texts(doc, "s:StrategicPlanCore/s:Vision/s:Description") == [vision["label"]]
    assert doc.find("s:StrategicPlanCore/s:Mission", S) is None
    assert doc.findtext("s:Name", namespaces=S) == "勞動部 108 年度施政計畫"
    assert doc.findtext("s:Description", namespaces=S) == "安全的職場環境、積極的工作保障、提升的勞動條件、進步的勞資關係"
    assert "依據：行政院 108 年度施政方針；中程施政計畫" in doc.findtext("s:OtherInformation", namespaces=S)
    (modified,) = sparql(built_store, "SELECT ?d WHERE { GRAPH ?m { ?ds void:subset ?g ; dct:modified ?d } "
                                      f"GRAPH ?g {{ <{PLAN}> a plan:AnnualPlan }} }}")
    admin = doc.find("s:AdministrativeInformation", S)
    assert [(e.tag.split("}")[1], e.text) for e in admin] == [
        ("StartDate", "2019-01-01"), ("EndDate", "2019-12-31"), ("PublicationDate", modified["d"][:10]),
        ("Source", PLAN)]


def test_identifiers_are_unique_ncnames(doc):
    ids = [e.text for e in doc.iter(f"{{{NS}}}Identifier")]
    assert len(ids) == 1 + 1 + 8 + 42  # organisation, vision, goals, objectives
    assert len(set(ids)) == len(ids) and all(NCNAME.match(i) for i in ids)


# ----------------------------------------------------------------------------- the command line

def test_cli_writes_the_same_document_to_stdout_with_or_without_plan(built_store, exported):
    out = run_plankg("export", "--store", str(built_store), "--format", "stratml", check=True)
    assert out.stdout.encode("utf-8") == exported and out.stderr == ""
    assert exported.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<StrategicPlan xmlns="' + NS.encode())
    for plan in ("mol/108", PLAN):
        chosen = run_plankg("export", "--store", str(built_store), "-f", "stratml", "--plan", plan, check=True)
        assert chosen.stdout.encode("utf-8") == exported


def test_cli_refuses_what_it_cannot_write(built_store, tmp_path):
    cases = {("--plan", "mol/109"): f"no plan <{BASE}mol/109> in the store; its plans: {PLAN}",
             ("--plan", "https://example.org/>"): "no plan <https://example.org/>> in the store",
             ("-o", str(tmp_path / "missing" / "x.xml")): "cannot write (No such file or directory)"}
    for args, message in cases.items():
        proc = run_plankg("export", "--store", str(built_store), "-f", "stratml", *args)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not list(tmp_path.rglob("*.part"))
    proc = run_plankg("export", "--store", str(built_store), "-f", "ttl", "--plan", "mol/108")
    assert proc.returncode == 2 and "--plan is for stratml" in proc.stderr
    proc = run_plankg("export", "--store", str(built_store), "-f", "trig", "-o", str(tmp_path))
    assert proc.returncode == 2 and "is a directory" in proc.stderr


@pytest.fixture(scope="module")
def per_plan(two_plans, tmp_path_factory) -> tuple[str, list[Path]]:
    """`plankg export -f stratml -o DIR` of the two-plan store: what it printed, the files it wrote."""
    folder = tmp_path_factory.mktemp("per-plan")
    listed = run_plankg("export", "--store", str(two_plans), "-f", "stratml", "-o", str(folder), check=True)
    return listed.stdout, sorted(folder.iterdir())


def test_a_store_of_two_plans_exports_a_file_per_plan_into_a_directory(two_plans, per_plan):
    proc = run_plankg("export", "--store", str(two_plans), "-f", "stratml")
    assert proc.returncode == 2 and f"the store holds 2 plans ({PLAN}, {BASE}mol/109)" in proc.stderr
    listed, files = per_plan
    assert [f.name for f in files] == ["mol-108.stratml.xml", "mol-109.stratml.xml"]
    assert listed.split() == [str(f) for f in files]
    second = etree.parse(str(files[1])).getroot()
    assert second.findtext("s:StrategicPlanCore/s:Goal/s:Name", namespaces=S) == "推辦職訓(R&D)多元管道，推廣職能基準之產業運用"
    assert b"(R&amp;D)" in files[1].read_bytes()
    assert second.findtext("s:AdministrativeInformation/s:StartDate", namespaces=S) == "2020-01-01"
    assert second.find("s:StrategicPlanCore/s:Organization/s:Stakeholder", S) is None  # no unit mapped for 109
    one = run_plankg("export", "--store", str(two_plans), "-f", "stratml", "--plan", "mol/109", check=True)
    assert one.stdout.encode("utf-8") == files[1].read_bytes()


@pytest.mark.shared
def test_each_plan_of_the_directory_validates(schema, per_plan):
    for f in per_plan[1]:
        doc = etree.parse(str(f))
        assert schema.validate(doc), (f.name, schema.error_log)


# ----------------------------------------------------------------------------- HTTP

def test_the_server_serves_the_same_document_as_a_download(sparql_server, exported):
    status, headers, body = sparql_server.get("/export/stratml/mol/108")
    assert status == 200 and body == exported
    assert headers["content-type"] == "application/xml; charset=utf-8"
    assert headers["content-disposition"] == 'attachment; filename="mol-108.stratml.xml"'


def test_the_server_answers_404_for_what_is_no_plan(sparql_server):
    for path in ("mol/109", "mol/108/goal/1", "nothing%20here"):
        status, headers, body = sparql_server.get("/export/stratml/" + path)
        assert status == 404 and body.startswith(b"no resource <"), path
        status, headers, body = sparql_server.get("/export/stratml/" + path, headers={"Accept": "text/html"})
        assert status == 404 and headers["content-type"].startswith("text/html"), path


def test_the_plan_pages_link_the_download_in_both_languages(sparql_server):
    link = 'href="/export/stratml/mol/108" type="application/xml" download'
    for lang, label in (("zh-Hant", "下載計畫"), ("en", "Download the plan")):
        for path in ("/doc/mol/108.html", "/"):
            status, _, body = sparql_server.get(path, params={"lang": lang})
            page = body.decode("utf-8")
            assert status == 200 and link in page and label in page and ">StratML</a>" in page, (path, lang)
    status, _, body = sparql_server.get("/doc/mol/108/goal/1.html")
    assert status == 200 and b"/export/stratml/" not in body
