"""Incremental rebuilds (issue 18): a build records the digest of each graph it loads (BUILD.json
``digests``); the next one starts from a copy of the current build's store and loads only the
graphs whose digest changed (plankg.store.reuse). Real stores on disk, the real `plankg build`.

The rebuild must give what a full build of the same sources gives (the store, graph by graph;
the dumps, byte for byte), must never write to the published build it copies, and must leave it
published if it fails.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT, SEED, run_plankg
from killed import kill_at_first_line
from plankg.store import open_store, publish, publishing
from plankg.store.builddir import BUILD_INFO

META_GRAPH = "https://w3id.org/plankg/id/graph/meta"
ONTOLOGY_GRAPH = "https://w3id.org/plankg/ontology"
DUMPS = ("dumps/plankg.nq.gz", "dumps/plankg.trig.gz")
DATETIME = "<http://www.w3.org/2001/XMLSchema#dateTime>"
EX = "http://example.org/"
G1, G2, G3 = (f"https://w3id.org/plankg/id/graph/test/{n}" for n in (1, 2, 3))


# --- helpers ----------------------------------------------------------------------------------


def registry(folder: Path, plans: list[Path]) -> Path:
    """data/registry.toml with the given plans instead of the shipped one (absolute paths)."""
    text = (ROOT / "data" / "registry.toml").read_text(encoding="utf-8")
    text = re.sub(r'\[\[plan\]\]\nfile = "plans/mol-108.txt"[^\n]*\nvariant = "auto"\n', "", text)
    assert "[[plan]]" not in text, "data/registry.toml changed: update this helper"
    text = re.sub(r'= "((?:budget|laws)/[^"]+)"', lambda m: f'= "{ROOT / "data" / m.group(1)}"', text)
    blocks = "".join(f'[[plan]]\nfile = "{p}"\nvariant = "auto"\n\n' for p in plans)
    out = folder / f"registry-{len(list(folder.glob('registry-*')))}.toml"
    out.write_text(blocks + text, encoding="utf-8")
    return out


def build(store: Path, reg: Path) -> dict:
    """`plankg build --registry REG --store STORE`; the BUILD.json of the published build."""
    run_plankg("build", "--store", str(store), "--registry", str(reg), check=True)
    return json.loads((store / BUILD_INFO).read_text(encoding="utf-8"))


def files_of(build_dir: Path) -> dict[str, tuple[int, int, int, str]]:
    """Every file of a build directory: its inode, size, mtime and SHA-256."""
    out = {}
    for root, _, names in os.walk(build_dir):
        for name in names:
            p = Path(root) / name
            st = p.stat()
            out[str(p.relative_to(build_dir))] = (st.st_ino, st.st_size, st.st_mtime_ns,
                                                  hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def content(store: Path) -> list[str]:
    """The store's quads, sorted, blank nodes relabelled by RDFC-1.0 (each build labels the
    ontology's OWL lists and the metadata's nodes afresh), without the metadata's times."""
    out = io.BytesIO()
    with open_store(store) as s:
        s.dump(out, ox.RdfFormat.N_QUADS)
    return canonical(out.getvalue().decode("utf-8"))


def canonical(nquads: str) -> list[str]:
    """N-Quads sorted, blank nodes relabelled by RDFC-1.0, without the metadata's times."""
    lines = [line for line in nquads.splitlines() if DATETIME not in line]
    dataset = ox.Dataset(ox.parse("\n".join(lines).encode("utf-8"), ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def nt(*pairs: tuple[str, str]) -> bytes:
    return b"".join(f'<{EX}{s}> <{EX}p> "{o}" .\n'.encode() for s, o in pairs)


def sorted_nquads(store: Path) -> bytes:
    out = io.BytesIO()
    with open_store(store) as s:
        s.dump(out, ox.RdfFormat.N_QUADS)
    return b"".join(sorted(out.getvalue().splitlines(keepends=True)))


def publish_with_digests(path: Path, graphs: dict[str, bytes], fail: bool = False) -> dict:
    """Publish ``graphs`` as the build does: digests first (here the SHA-256 of the bytes), then
    only what :meth:`Publication.reuse` says; raise in the middle if ``fail``. BUILD.json's ``load``."""
    with publishing(path) as publication:
        load = publication.reuse({g: hashlib.sha256(d).hexdigest() for g, d in graphs.items()},
                                 {g: d.count(b"\n") for g, d in graphs.items()})
        publication.load([(g, d) for g, d in graphs.items() if g in load])
        if fail:
            raise RuntimeError("the build failed after loading")
    return json.loads((path / BUILD_INFO).read_text(encoding="utf-8"))["metadata"]["load"]


# --- the store layer, on small graphs ---------------------------------------------------------


BIG = nt(*((f"s{i}", str(i)) for i in range(50)))


def test_unchanged_graphs_are_kept_and_the_rest_replaced(tmp_path: Path) -> None:
    path = tmp_path / "store"
    first = publish_with_digests(path, {G1: BIG, G2: nt(("c", "3"))})
    assert first == {"mode": "full", "reason": "no current build", "loaded": 2}
    published = path.resolve()
    before = files_of(published)
    with open_store(path) as reader:  # a reader (as `plankg serve`) has the published build open meanwhile
        load = publish_with_digests(path, {G1: BIG, G3: nt(("d", "4"))})  # G2 goes, G3 comes
        assert reader.graphs() == [G1, G2] and reader.count() == 51  # its snapshot, still readable
    assert (load["mode"], load["reused"], load["reloaded"], load["added"], load["removed"]) == ("incremental", 1, 0, 1, 1)
    assert load["changed"] == [G2, G3]
    assert files_of(published) == before, "the published build was written to"
    info = json.loads((path / BUILD_INFO).read_text())
    first_info = json.loads((published / BUILD_INFO).read_text())
    assert info["compacted_sst_files"] == first_info["compacted_sst_files"], "a small change is not compacted"
    assert info["graphs"] == {G1: 50, G3: 1} and info["triples"] == 51 and set(info["digests"]) == {G1, G3}
    fresh = tmp_path / "fresh"
    publish(fresh, [(G1, BIG), (G3, nt(("d", "4")))])
    assert sorted_nquads(path) == sorted_nquads(fresh)


def test_a_build_that_fails_after_starting_from_the_current_one_leaves_it_published(tmp_path: Path) -> None:
    path = tmp_path / "store"
    publish_with_digests(path, {G1: BIG, G2: nt(("c", "3"))})
    published, before, dataset = path.resolve(), files_of(path.resolve()), sorted_nquads(path)
    with pytest.raises(RuntimeError):
        publish_with_digests(path, {G1: BIG, G2: nt(("c", "changed"))}, fail=True)
    assert path.resolve() == published and files_of(published) == before and sorted_nquads(path) == dataset
    assert {p.name for p in path.with_name("store.builds").iterdir()} == {published.name}, "the failed build is left"
    assert publish_with_digests(path, {G1: BIG, G2: nt(("c", "changed"))})["mode"] == "incremental"  # lock released
    assert b'"changed"' in sorted_nquads(path)


KILLED_REBUILD = """
import hashlib, sys, threading
from plankg.store import publishing
graphs = {g: sys.argv[i].encode() for i, g in ((2, "%s"), (3, "%s"))}
with publishing(sys.argv[1]) as publication:
    publication.reuse({g: hashlib.sha256(d).hexdigest() for g, d in graphs.items()}, {g: 1 for g in graphs})
    publication.load([("%s", graphs["%s"])])  # the changed graph, into the copy
    print("copied and loaded", flush=True)
    threading.Event().wait()  # until SIGKILL
""" % (G1, G2, G2, G2)


def test_a_rebuild_killed_after_copying_and_loading_leaves_the_published_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    publish_with_digests(path, {G1: BIG, G2: nt(("c", "3"))})
    published, before, dataset = path.resolve(), files_of(path.resolve()), sorted_nquads(path)
    signalled, stderr, returncode = kill_at_first_line(KILLED_REBUILD, str(path), BIG.decode(),
                                                       nt(("c", "new")).decode())
    assert signalled == "copied and loaded\n", stderr
    assert returncode == -signal.SIGKILL
    assert path.resolve() == published and files_of(published) == before and sorted_nquads(path) == dataset
    leftover = {p.name for p in path.with_name("store.builds").iterdir()} - {published.name}
    assert len(leftover) == 1  # the killed build's copy, deleted by the next build
    assert publish_with_digests(path, {G1: BIG, G2: nt(("c", "new"))})["mode"] == "incremental"
    assert not (path.with_name("store.builds") / leftover.pop()).exists() and b'"new"' in sorted_nquads(path)


def test_the_whole_load_when_the_current_build_cannot_be_started_from(tmp_path: Path) -> None:
    path = tmp_path / "store"
    publish(path, [(G1, BIG)])  # no digests recorded
    assert publish_with_digests(path, {G1: BIG})["reason"] == "the current build recorded no graph digests"
    info_file = path.resolve() / BUILD_INFO  # a build made with another pyoxigraph (written by hand: test setup)
    info = json.loads(info_file.read_text())
    info_file.write_text(json.dumps({**info, "pyoxigraph": "0.0.1"}))
    load = publish_with_digests(path, {G1: BIG})
    assert load["mode"] == "full" and "pyoxigraph 0.0.1" in load["reason"]
    assert publish_with_digests(path, {G1: BIG})["mode"] == "incremental"
    load = publish_with_digests(path, {G1: BIG.replace(b'"1"', b'"one"'), G2: nt(("c", "3"))})  # > half changes
    assert load["mode"] == "full" and load["reason"] == "101 of 101 triples change"
    assert len(json.loads((path / BUILD_INFO).read_text())["graphs"]) == 2


def test_a_store_written_to_after_publishing_is_not_started_from(tmp_path: Path) -> None:
    path = tmp_path / "store"
    publish_with_digests(path, {G1: BIG})
    with open_store(path, writable=True) as s:  # as `plankg serve` taking updates does
        s.update(f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}x> <{EX}p> "added" }} }}')
        s.flush()
    load = publish_with_digests(path, {G1: BIG})
    assert load["mode"] == "full" and "written to after it was published" in load["reason"]
    assert b'"added"' not in sorted_nquads(path)  # as any full build: the graphs as built


# --- whole builds: a plan added, then one changed and one removed ----------------------------


@pytest.fixture(scope="module")
def rebuilds(tmp_path_factory) -> dict:
    """The shipped registry built, then rebuilt with a second plan (the seed with 勞動部 replaced
    by 交通部), then with the seed plan changed and the second removed; each rebuild also built
    afresh into a store of its own."""
    tmp = tmp_path_factory.mktemp("incremental")
    seed_text = SEED.read_text(encoding="utf-8")
    motc = tmp / "motc-108.txt"
    motc.write_text(seed_text.replace("勞動部", "交通部"), encoding="utf-8")
    changed = tmp / "mol-108.txt"
    assert seed_text.count("強化") > 1
    changed.write_text(seed_text.replace("強化", "加強", 1), encoding="utf-8")
    store = tmp / "store"
    out: dict = {"store": store, "first": build(store, registry(tmp, [SEED]))}
    first_dir = out["first dir"] = store.resolve()
    before = files_of(first_dir)
    for step, plans in (("added", [SEED, motc]), ("changed", [changed])):
        reg = registry(tmp, plans)
        out[step] = build(store, reg)
        out[f"{step} content"], out[f"{step} dir"] = content(store), store.resolve()
        fresh = tmp / f"fresh-{step}"
        out[f"{step} fresh"] = build(fresh, reg)
        out[f"{step} fresh content"], out[f"{step} fresh dir"] = content(fresh), fresh.resolve()
        if step == "added":
            out["first files after"] = files_of(first_dir)
    out["first files"] = before
    return out


def test_the_first_build_loads_everything_and_records_digests(rebuilds) -> None:
    info = rebuilds["first"]
    assert info["metadata"]["load"] == {"mode": "full", "reason": "no current build", "loaded": len(info["graphs"])}
    assert set(info["digests"]) == set(info["graphs"])
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in info["digests"].values())


@pytest.mark.parametrize("step", ["added", "changed"])
def test_a_rebuild_loads_what_changed_and_equals_a_full_build(rebuilds, step: str) -> None:
    info, fresh = rebuilds[step], rebuilds[f"{step} fresh"]
    load = info["metadata"]["load"]
    assert load["mode"] == "incremental", load
    assert fresh["metadata"]["load"]["mode"] == "full"
    # the ontology (blank nodes: labelled afresh) and the metadata (the build's times) every time
    assert {ONTOLOGY_GRAPH, META_GRAPH} <= set(load["changed"])
    print(step, {k: v for k, v in load.items()})
    motc = [g for g in load["changed"] if "agency-" in g]
    if step == "added":  # the new plan's graph, its funding graph and its two alignment graphs; the seed plan's
        # stay (fixed statistics) but for its programs' candidates among other organisations' programs: the new plan's
        assert (load["added"], load["removed"], len(motc)) == (4, 0, 4)
        assert not {"https://w3id.org/plankg/id/graph/mol/108", "https://w3id.org/plankg/id/graph/links/funding/mol/108",
                    "https://w3id.org/plankg/id/graph/alignment/mol/108"} & set(load["changed"])
        assert "https://w3id.org/plankg/id/graph/links/alignment/mol/108" in load["changed"]
    else:  # those four go, the changed plan's graph is reloaded
        assert (load["added"], load["removed"], len(motc)) == (0, 4, 4)
        assert "https://w3id.org/plankg/id/graph/mol/108" in load["changed"]
    assert load["reused"] >= 10, "the budgets, the laws and the vocabularies did not change"
    assert load["reused"] + load["reloaded"] + load["added"] == len(info["graphs"])
    assert info["graphs"] == fresh["graphs"] and info["triples"] == fresh["triples"]
    same = {g for g in info["digests"] if g not in (ONTOLOGY_GRAPH, META_GRAPH)}
    assert {g: info["digests"][g] for g in same} == {g: fresh["digests"].get(g) for g in same}
    assert rebuilds[f"{step} content"] == rebuilds[f"{step} fresh content"]
    for name in DUMPS:
        assert (rebuilds[f"{step} dir"] / name).read_bytes() == (rebuilds[f"{step} fresh dir"] / name).read_bytes(), name
    assert info["metadata"]["dumps"] == fresh["metadata"]["dumps"]
    # the unchanged graphs' gzip members came from the previous build's dumps: the same bytes, where it recorded them
    assert info["metadata"]["dumps_reused"] == load["reused"] and fresh["metadata"]["dumps_reused"] == 0
    before = {"added": "first", "changed": "added"}[step]
    was = rebuilds[before]
    same = {g for g, d in info["digests"].items() if was["digests"].get(g) == d and g != META_GRAPH}
    assert len(same) == info["metadata"]["dumps_reused"]
    for name in DUMPS:
        old, new = ((rebuilds[f"{s} dir"] / name).read_bytes() for s in (before, step))
        members, old_members = info["metadata"]["dumps_members"][name], was["metadata"]["dumps_members"][name]
        assert members == fresh["metadata"]["dumps_members"][name]
        for g in same:
            (o, n), (o2, n2) = old_members[g], members[g]
            assert new[o2:o2 + n2] == old[o:o + n] and old[o:o + 2] == b"\x1f\x8b", (name, g)


def test_a_rebuild_does_not_write_to_the_build_it_copies(rebuilds) -> None:
    assert rebuilds["first files after"] == rebuilds["first files"]
