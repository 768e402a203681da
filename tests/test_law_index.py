"""The law index loader: the national law index (JSON) and the MOL law metadata (TSV) into plain
objects, bad input as InputError naming the file and line, the level from a law's name, and the
shipped data."""

from __future__ import annotations

import gzip
import re
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest

from plankg.build import pipeline
from plankg.errors import InputError
from plankg.loaders import law_index, plan_text, registry
from plankg.loaders.law_index import default_index, level_from_name, merge, parse_index, parse_metadata
from plankg.loaders.law_model import NOT_YET_EFFECTIVE, PCODE, LawIndex

from conftest import BASE, SEED

DATA = Path(__file__).resolve().parent / "data" / "laws"


def read(name: str):
    path = DATA / name
    parse = parse_metadata if name.endswith(".tsv") else parse_index
    return parse(path.read_bytes(), file=str(path))


def error(name: str) -> InputError:
    with pytest.raises(InputError) as e:
        read(name)
    assert e.value.file == str(DATA / name)
    return e.value


# --------------------------------------------------------------------------------------------
# Reading the index
# --------------------------------------------------------------------------------------------


def test_the_index_reads_into_laws_with_their_line():
    index = read("index-ok.json")
    assert isinstance(index, LawIndex) and len(index) == 7 and index.file == str(DATA / "index-ok.json")
    lsa = index["N0030001"]
    assert (lsa.name, lsa.english, lsa.last_amended) == ("勞動基準法", "Labor Standards Act", date(2024, 7, 31))
    assert (lsa.source.file, lsa.source.line) == (str(DATA / "index-ok.json"), 2)
    assert index["N0060042"].english is None and index["N0060042"].base_name == "職業災害預防及職業災害勞工重建補助辦法"
    # the database gives a few dates known only to the year: no date, not an error
    assert index["J0120023"].last_amended is None
    # the index says nothing about level, category or abolition
    assert all(law.level is None and law.category is None and law.abolished is None for law in index)
    assert "N0030001" in index and "N9999999" not in index and index.get("N9999999") is None


def test_a_gzipped_index_reads_the_same(tmp_path):
    path = tmp_path / "index.json.gz"
    path.write_bytes(gzip.compress((DATA / "index-ok.json").read_bytes()))
    zipped, plain = parse_index(path.read_bytes(), file=str(path)), read("index-ok.json")
    assert [(law.pcode, law.name, law.last_amended, law.source.line) for law in zipped] == \
        [(law.pcode, law.name, law.last_amended, law.source.line) for law in plain]
    assert zipped.laws[0].source.file == str(path)


@pytest.mark.parametrize("name,line,message", [
    ("index-duplicate-pcode.json", 4, r"PCode N0030001 is given twice: on line 2 and on line 4"),
    ("index-missing-name.json", 3, r"law N0030002 has no name"),
    ("index-malformed-pcode.json", 4, r"malformed PCode 'n003002': expected an upper-case letter and seven digits"),
    ("index-invalid-json.json", 3, r"invalid JSON: Expecting ',' delimiter"),
    ("index-bad-date.json", 5, r"bad lastUpdate '20241332': no such date"),
])  # fmt: skip
def test_bad_index_input_names_the_file_and_line(name, line, message):
    e = error(name)
    assert e.line == line and re.search(message, e.message), str(e)
    assert str(e).startswith(f"{DATA / name}:{line}: ")


@pytest.mark.parametrize("data,line,message", [
    (b"", 1, "empty file"),
    (b'{"PCode": "N0030001"}', 1, "expected a JSON array of laws"),
    (b"[\n]\n", 2, "the array holds no law"),
    (b'[\n{"PCode":"N0030001","name":"x","lastUpdate":"2024"}\n]', 2, "bad lastUpdate '2024': expected a date as YYYYMMDD"),
    (b'[\n{"PCode":"N0030001","name":"x"},\n]', 3, "trailing comma"),
    (b'[\n{"PCode":"N0030001","name":"x"}\n', 3, "not closed"),
    (b'[\n"N0030001"\n]', 2, "expected a law"),
    (b'[\n{"PCode":"N0030001","name":"  "}\n]', 2, "has no name"),
    (b'[\n{"PCode":"N0030001","name":"x"}\n] x', 3, "text after the array"),
    (b'[\n{"PCode":"N0030001","name":"\xff"}\n]', 2, "not valid UTF-8"),
    (b"\x1f\x8bnot gzip", None, "not a valid gzip file"),
    # found by tests/test_fuzz_loaders.py: a RecursionError traceback
    (b"[" + b"[" * 5000, 1, "invalid JSON: nested too deeply"),
    (b'[\n{"PCode":"N0030001","name":' + b'{"a":' * 3000, 2, "invalid JSON: nested too deeply"),
    # found by tests/test_fuzz_loaders.py: a lone surrogate was read, and the build's N-Triples then failed
    # with a UnicodeEncodeError traceback
    (b'[\n{"PCode":"A0000001","name":"\\ud800","lastUpdate":"19470101"}\n]', 2,
     r"law A0000001: name holds the escape \\ud800, half of a UTF-16 surrogate pair: expected text"),
    (b'[\n{"PCode":"A0000001","name":"x",\n"english":"a\\udfffb"}\n]', 2, r"english holds the escape \\udfff"),
    # found by tests/test_fuzz_loaders.py: a ValueError traceback (int()'s limit of 4300 digits)
    (b"[\n" + b"1" * 5000, 2, r"invalid JSON: a number too long to read \(Exceeds the limit \(4300 digits\)"),
])  # fmt: skip
def test_more_bad_index_input(data, line, message):
    with pytest.raises(InputError, match=message) as e:
        parse_index(data, file="x.json")
    assert (e.value.file, e.value.line) == ("x.json", line)


# --------------------------------------------------------------------------------------------
# Reading the metadata, merging
# --------------------------------------------------------------------------------------------


def test_the_metadata_reads_level_category_and_abolition():
    meta = read("metadata-ok.tsv")
    assert [law.pcode for law in meta] == ["N0030001", "N0060042", "N0000038", "N0090055"]
    lsa, abolished = meta["N0030001"], meta["N0060042"]
    assert (lsa.level, lsa.level_basis, lsa.category, lsa.abolished) == ("法律", "database", "行政＞勞動部＞勞動條件及就業平等目", False)
    assert abolished.abolished is True and abolished.english is None and abolished.source.line == 3
    assert lsa.effective is None and meta["N0090055"].effective == date(2020, 12, 4)


@pytest.mark.parametrize("name,line,message", [
    ("metadata-duplicate-pcode.tsv", 4, "PCode N0030001 is given twice: on line 2 and on line 4"),
    ("metadata-bad-level.tsv", 3, "unknown LawLevel '規則', expected one of 憲法, 法律, 命令"),
    ("metadata-short-row.tsv", 3, "expected 8 tab-separated fields as in the header, found 6"),
    ("metadata-missing-column.tsv", 1, "missing column\\(s\\) LawEffectiveDate"),
    ("metadata-bad-abandon-note.tsv", 3, "unknown LawAbandonNote '停'"),
])  # fmt: skip
def test_bad_metadata_names_the_file_and_line(name, line, message):
    e = error(name)
    assert e.line == line and re.search(message, e.message), str(e)


HEADER = "\t".join(law_index.METADATA_COLUMNS)


@pytest.mark.parametrize("text,line", [
    # found by tests/test_fuzz_loaders.py: a cell over the csv module's limit was a csv.Error traceback
    (HEADER + "\n" + "x" * 140_000 + "\n", 2),
    (HEADER + "\nN0030001\t法律\t勞動基準法\t\t\t\t\t\n\n" + "x" * 140_000, 4),
])  # fmt: skip
def test_a_metadata_cell_too_long_names_its_line(text, line):
    with pytest.raises(InputError, match=r"not valid TSV \(field larger than field limit") as e:
        parse_metadata(text.encode(), file="m.tsv")
    assert (e.value.file, e.value.line) == ("m.tsv", line)


def test_merge_takes_the_metadata_where_it_has_the_law_and_the_name_elsewhere():
    merged = merge(read("index-ok.json"), read("metadata-ok.tsv"))
    assert [law.pcode for law in merged][:7] == [law.pcode for law in read("index-ok.json")]
    by = {law.pcode: law for law in merged}
    assert (by["N0030001"].level, by["N0030001"].level_basis, by["N0030001"].abolished) == ("法律", "database", False)
    assert by["N0030001"].source.file == str(DATA / "index-ok.json")  # the index's line, not the metadata's
    assert by["N0060042"].abolished is True and by["N0060081"].abolished is None
    # the metadata's level wins over the name: 編制表 is an order, which the name rule cannot tell
    assert (by["N0000038"].level, by["N0000038"].level_basis) == ("命令", "database")
    assert (by["N0030002"].level, by["N0030002"].level_basis) == ("命令", "name")
    assert (by["N0060081"].level, by["N0060081"].level_basis) == ("命令", "name")
    assert (by["A0000004"].level, by["A0000004"].level_basis) == (None, None)
    # a law only the metadata has is kept, at the end
    assert merged.laws[-1].pcode == "N0090055" and merged.laws[-1].english == "Middle-aged and Elderly Employment Promotion Act"


@pytest.mark.parametrize("name,pcode,level", [
    ("勞動基準法", None, "法律"),
    ("勞工保險條例", None, "法律"),
    ("地方制度法", None, "法律"),
    ("行政院勞工委員會職業訓練局職業訓練中心組織通則", None, "法律"),
    ("戰時軍律", None, "法律"),
    ("勞動基準法施行細則", None, "命令"),
    ("就業促進津貼實施辦法", None, "命令"),  # ends in 法, but 辦法 is an order
    ("勞動部處務規程", None, "命令"),
    ("勞工請假規則", None, "命令"),
    ("勞工保險失能給付標準", None, "命令"),
    ("外國人從事就業服務法第四十六條第一項第八款至第十一款工作資格及審查標準", None, "命令"),
    ("性別平等工作申訴審議處理辦法", None, "命令"),
    ("動員戡亂完成憲政實施綱要", None, "命令"),
    ("最低工資法（112.12.27制定）", None, "法律"),
    ("職業災害預防及職業災害勞工重建補助辦法（91.04.10訂定）", None, "命令"),
    ("勞動部編制表", None, None),
    ("海關進口稅則", None, None),
    ("動員戡亂時期臨時條款", None, None),
    ("訓政結束程序法", "A0000004", None),  # of constitutional level
    ("中華民國憲法", "A0000001", None),
])  # fmt: skip
def test_level_from_name(name, pcode, level):
    assert level_from_name(name, pcode) == level


# --------------------------------------------------------------------------------------------
# The loader registry
# --------------------------------------------------------------------------------------------


def test_the_registry_sniffs_the_index_and_the_metadata_gzipped_or_not():
    package = files("plankg.data.laws")
    for name in ("moj-law-index.json.gz", "mol-laws-all.tsv.gz"):
        data = package.joinpath(name).read_bytes()
        assert registry.loader_for(name, data) is law_index.LOADER
        assert registry.loader_for("x", gzip.decompress(data)) is law_index.LOADER
    assert registry.loader_for("plan.txt", SEED.read_bytes()) is plan_text.LOADER
    assert registry.loader_for("data.json", b'{"a": 1}') is plan_text.LOADER
    assert registry.loader_for("data.json", b'[{"a": 1}]') is plan_text.LOADER


def test_the_registry_reads_a_law_index_by_name(tmp_path):
    path = DATA / "metadata-ok.tsv"
    index = registry.load(str(path), path.read_bytes(), [], variant="law-index")
    assert isinstance(index, LawIndex) and len(index) == 4
    path = DATA / "index-ok.json"
    assert len(registry.load(str(path), path.read_bytes(), [])) == 7
    with pytest.raises(InputError, match="law N0030002 has no name") as e:
        registry.load(str(DATA / "index-missing-name.json"), (DATA / "index-missing-name.json").read_bytes(), [])
    assert e.value.line == 3


def test_the_build_refuses_a_law_index(tmp_path):
    path = tmp_path / "moj-law-index.json.gz"
    path.write_bytes(files("plankg.data.laws").joinpath("moj-law-index.json.gz").read_bytes())
    with pytest.raises(InputError, match="read as a LawIndex, but the build takes plan files only on the command line") as e:
        pipeline.compile_plans(pipeline.read_inputs([path]), BASE)
    assert e.value.file == str(path)


# --------------------------------------------------------------------------------------------
# The shipped data
# --------------------------------------------------------------------------------------------


def test_the_shipped_index_holds_every_law_of_the_national_database():
    index = default_index()
    assert len(index) == 11_547
    assert all(PCODE.fullmatch(law.pcode) for law in index)
    assert len({law.name for law in index}) == 11_547  # no two laws share a name (60 share a base name)
    lsa = index["N0030001"]
    assert (lsa.name, lsa.english, lsa.level, lsa.abolished) == ("勞動基準法", "Labor Standards Act", "法律", False)
    assert lsa.category == "行政＞勞動部＞勞動條件及就業平等目"
    assert index.file == "<bundled>/moj-law-index.json.gz" and lsa.source.line > 1
    assert sum(law.english is not None for law in index) == 3_089
    assert index["N0030003"].abolished is True  # 基本工資審議辦法, abolished 2024-03-08


def test_the_shipped_metadata_has_the_383_mol_laws_all_in_the_index():
    data = files("plankg.data.laws").joinpath("mol-laws-all.tsv.gz").read_bytes()
    meta = parse_metadata(data, file="mol-laws-all.tsv.gz")
    assert len(meta) == 383
    assert sum(law.abolished for law in meta) == 109
    # two laws never took effect: the database has no date for it (99991231), e.g. 勞動契約法 of 1936
    assert sorted(law.pcode for law in meta if law.effective == NOT_YET_EFFECTIVE) == ["N0030010", "N0090050"]
    assert default_index()["N0030010"].effective == NOT_YET_EFFECTIVE  # merge keeps it
    assert {law.level for law in meta} == {"法律", "命令"}
    index = default_index()
    assert all(law.pcode in index and index[law.pcode].name == law.name for law in meta)


def test_the_level_is_known_for_most_laws_and_never_contradicts_the_metadata():
    index = default_index()
    basis = {}
    for law in index:
        basis[(law.level, law.level_basis)] = basis.get((law.level, law.level_basis), 0) + 1
    assert basis == {("法律", "database"): 35, ("命令", "database"): 348, ("法律", "name"): 1_278,
                     ("命令", "name"): 9_246, (None, None): 640}
    for law in index:
        if law.level_basis == "database":
            assert level_from_name(law.name, law.pcode) in (law.level, None), law
