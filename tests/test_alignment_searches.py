"""Candidate searches kept from the last build (plankg.build.align.searches): after plans are added,
removed, changed or reordered, every program's candidates are those a fresh search of the whole
index finds, while the searches no added or removed program can reach are not run again."""

from __future__ import annotations

import dataclasses
import marshal
import random
import zlib
from array import array
from pathlib import Path

import pytest

from plankg.build.align import inputs, program_index
from plankg.build.align.methods import parameters
from plankg.build.align.nodes import PlanNodes
from plankg.build.align.search import SearchParameters
from plankg.build.align.searches import MARSHALLED, Searches
from plankg.build.cache import _head, read_marshal
from plankg.namespaces import DEFAULT_BASE

import test_alignment_outputs

another = test_alignment_outputs.another
seed = test_alignment_outputs.seed  # the fixture: the bundled plan's nodes, the budgets and their links


def plans(seed, n: int, rng: random.Random) -> list[PlanNodes]:
    """``n`` plans of four organisations, each the bundled plan's programs shuffled and some dropped
    (many programs of one text, so many postings of one weight: ties are ordered by place)."""
    out = []
    for k in range(n):
        p = another(seed[1], f"機關{k % 4}", f"org{k}")
        programs = rng.sample(p.programs, rng.randint(len(p.programs) // 2, len(p.programs)))
        out.append(dataclasses.replace(p, programs=programs))
    return out


def searched(seed, population: list[PlanNodes], folder: Path, search: SearchParameters | None):
    """Every program's candidates through :class:`Searches` (kept in ``folder``), and fresh from the index."""
    vocab, _, budgets, links = seed
    inp = inputs([[p] for p in population], budgets, links, vocab.union, DEFAULT_BASE)
    params = parameters(vocab.union, DEFAULT_BASE)
    if search is not None:
        params = dataclasses.replace(params, plans_search=search)
    index = program_index(inp, params)
    searches = Searches([(n, p.org_label) for _, p in inp.plans for n in p.programs], lambda: program_index(inp, params),
                        index.vector, folder, "test")
    kept = [[n.iri for n in searches.candidates(s, p.org_label)] for _, p in inp.plans for s in p.programs]
    searches.save()
    fresh = [[n.iri for n in index.candidates(s, p.org_label)] for _, p in inp.plans for s in p.programs]
    return kept, fresh, searches


@pytest.mark.parametrize("search", [None, SearchParameters(2, 3, 5), SearchParameters(1, 2, 3)],
                         ids=["shipped", "narrow", "narrowest"])
def test_kept_searches_find_what_a_fresh_search_finds(seed, tmp_path: Path, search):
    rng = random.Random(18)
    population = plans(seed, 8, rng)
    kept, fresh, first = searched(seed, population, tmp_path, search)
    assert kept == fresh and first.searched == len(fresh) and first.reused == 0
    new = plans(seed, 10, random.Random(99))[8:]
    changed = dataclasses.replace(population[2], programs=[dataclasses.replace(population[2].programs[0], text="職業災害勞工保險")]
                                  + population[2].programs[1:])
    steps = {
        "unchanged": population,
        "one added at the end": population + new[:1],
        "one added in the middle": population[:4] + new[1:] + population[4:] + new[:1],
        "two removed": population[:1] + population[3:] + new,
        "a program changed": population[:2] + [changed] + population[3:] + new,
        "reordered": list(reversed(population)),
    }
    reused, total = {}, {}
    for name, step in steps.items():
        kept, fresh, searches = searched(seed, step, tmp_path, search)
        assert kept == fresh, name
        reused[name], total[name] = searches.reused, len(fresh)
    assert reused["unchanged"] == total["unchanged"]  # nothing came or went: nothing searched
    if search is not None:  # (the shipped search reads 64 postings: at this size, to their end, so any new n-gram reruns it)
        assert 0 < reused["one added at the end"] < total["one added at the end"]
    assert reused["reordered"] == 0  # places cannot be compared: all searched


def test_most_searches_are_kept_when_a_plan_of_a_new_text_is_added(seed, tmp_path: Path):
    """A plan whose programs say what no other program says reaches few searches: the others are kept."""
    population = plans(seed, 8, random.Random(18))
    searched(seed, population, tmp_path, None)
    odd = another(seed[1], "機關9", "org-odd")
    odd = dataclasses.replace(odd, programs=[dataclasses.replace(p, text=f"海洋保育巡護第{i}區珊瑚礁復育")
                                             for i, p in enumerate(odd.programs[:3])])
    kept, fresh, searches = searched(seed, population + [odd], tmp_path, None)
    assert kept == fresh
    assert searches.searched < len(fresh) / 4 and searches.reused > 3 * len(fresh) / 4


def framed(body: bytes) -> bytes:
    """``body`` after the first line a state file has (its CRC-32 right)."""
    return _head(MARSHALLED, zlib.crc32(body)) + body


@pytest.mark.parametrize("damage", [
    b"", b"\x00\xff not a state", "a changed byte",
    framed(b"\x00\xff not marshal"), framed(marshal.dumps({"programs": [["x"]], "found": {}})),
    framed(marshal.dumps({"programs": [], "found": {"a": [[0], [["g", 99, 0.5]]]}})), framed(marshal.dumps([1])),
    "places past the programs", "places before them", "places not packed"])
def test_a_damaged_state_searches_everything(seed, tmp_path: Path, damage):
    population = plans(seed, 6, random.Random(5))
    searched(seed, population, tmp_path, None)
    path = tmp_path / "search-test.bin"
    assert path.exists()
    if damage == "a changed byte":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 1
        damage = bytes(data)
    elif isinstance(damage, str):  # a valid state of the right programs, its places damaged
        state = read_marshal(path, MARSHALLED)
        places = {"places past the programs": array("i", [0, 10 ** 6]).tobytes(),
                  "places before them": array("i", [-1]).tobytes(), "places not packed": [0, 1]}[damage]
        state["found"] = {iri: [places, read] for iri, (_, read) in state["found"].items()}
        damage = framed(marshal.dumps(state))
    path.write_bytes(damage)
    kept, fresh, searches = searched(seed, population, tmp_path, None)
    assert kept == fresh and searches.reused == 0


@pytest.mark.parametrize("narrow", [SearchParameters(3, 4, 8), SearchParameters(2, 6, 3)], ids=["3-4-8", "2-6-3"])
def test_kept_searches_hold_over_random_rebuilds(seed, tmp_path: Path, narrow: SearchParameters):
    """Twelve rebuilds, each adding, removing or changing plans at random, with a narrow search (so
    that searches stop before the end of the postings, read more programs than they keep, and ties
    between programs of one text abound)."""
    rng = random.Random(2026)
    population = plans(seed, 6, rng)
    searched(seed, population, tmp_path, narrow)
    pool = plans(seed, 30, random.Random(7))[6:]
    kept_any = 0
    for step in range(12):
        population = list(population)
        for _ in range(rng.randint(1, 2)):
            action = rng.choice(["add", "remove", "change"])
            if action == "add" and pool:
                population.insert(rng.randint(0, len(population)), pool.pop())
            elif action == "remove" and len(population) > 3:
                population.pop(rng.randrange(len(population)))
            else:
                k = rng.randrange(len(population))
                p = population[k]
                i = rng.randrange(len(p.programs))
                program = dataclasses.replace(p.programs[i], text=p.programs[i].text[::-1])
                population[k] = dataclasses.replace(p, programs=p.programs[:i] + [program] + p.programs[i + 1:])
        kept, fresh, searches = searched(seed, population, tmp_path, narrow)
        assert kept == fresh, step
        kept_any += searches.reused
    assert kept_any > 0
