"""The central budget CSV loader: rows, the note's line items, bad input, the shipped documents."""

from __future__ import annotations

import gzip
import hashlib
import re

import pytest

from plankg import resources
from plankg.build import pipeline
from plankg.errors import InputError
from plankg.loaders import budget_csv, plan_text, registry
from plankg.loaders.budget_notes import item_amount, item_change, parse_note
from plankg.loaders.model import BudgetDocument

from conftest import BASE, ROOT, SEED, run_plankg

DATA = ROOT / "tests" / "data" / "budget"
ENACTED = DATA / "enacted-2019.csv"


def read(path, **kw) -> BudgetDocument:
    return budget_csv.read_budget(path.read_bytes(), file=str(path), **kw)


@pytest.fixture(scope="module")
def doc() -> BudgetDocument:
    return read(ENACTED)


def row(doc: BudgetDocument, code: str):
    [found] = [r for r in doc.rows if r.code == code]
    return found


def test_rows_keep_their_columns_and_lines(doc):
    assert (doc.year, doc.stage, len(doc.rows)) == (2019, "enacted", 7)
    first = row(doc, "3102010100")
    assert (first.amount, first.name, first.topname, first.depname, first.depcat, first.cat, first.ref) == (
        881_463_000, "無細項", "總統府主管", "總統府", "一般行政", "國務支出", "1.1.1")
    assert (first.source.line, first.source.end_line) == (2, 19)
    assert first.note.startswith("本年度預算數之內容與上年度之比較如下：\n1.人員維持費627,852千元")
    assert first.preamble == "本年度預算數之內容與上年度之比較如下："
    assert (row(doc, "3102010400").source.line, doc.rows[-1].source.end_line) == (23, 57)
    assert row(doc, "391101A000").amount == 1_530_251_000  # a classified budget's code has a letter


def test_wrapped_lines_are_joined_even_inside_numbers(doc):
    [staff, admin, it, guard] = row(doc, "3102010100").items
    assert staff.text == ("人員維持費627,852千元，較上年度減列員額10人之人事費6,000千元，伸算增列"
                          "調整待遇等經費18,494千元，計淨增12,494千元。")
    assert (staff.ordinal, staff.amount_twd, staff.change_twd) == (1, 627_852_000, 12_494_000)
    assert (staff.source.line, staff.source.end_line) == (3, 6)
    assert [i.ordinal for i in (admin, it, guard)] == [2, 3, 4]
    assert sum(i.amount_twd for i in (staff, admin, it, guard)) == row(doc, "3102010100").amount


def test_the_change_is_the_items_own_not_a_sub_clauses(doc):
    [staff, admin, it, guard] = row(doc, "3102010100").items
    assert admin.change_twd == 29_341_000  # not the +715 of the project named after 其中
    assert it.change_twd == 12_220_000  # 增列 … 12,2 / 20千元
    assert guard.change_twd == -1_025_000  # 減列
    assert staff.change_twd == 12_494_000  # 計淨增: the net of 減列 6,000 and 增列 18,494


def test_same_as_last_year_new_withdrawn_and_unparsable_items(doc):
    [south, middle, new, other] = row(doc, "3203011600").items
    assert (south.amount_twd, south.change_twd) == (8_979_000, -149_276_000)
    running, finished = south.items
    assert (running.ordinal, running.amount_twd, running.change_twd) == (1, 8_979_000, 0)  # 與上年度同
    assert (finished.ordinal, finished.amount_twd, finished.change_twd) == (2, 0, -149_276_000)  # 如數減列
    assert (south.source.line, south.source.end_line, finished.source.line) == (25, 31, 29)
    assert (middle.amount_twd, middle.change_twd) == (6_605_000, 0)
    assert (new.amount_twd, new.change_twd) == (7_119_000, 7_119_000)  # 新增: all of it is new
    assert other.text == "其他聯合服務業務，經費如列數。"
    assert (other.amount_twd, other.change_twd, other.parsed) == (None, None, False)


def test_nested_items_and_multi_year_totals(doc):
    units, content = row(doc, "4614021500").items
    assert (units.text, units.amount_twd) == ("本年度預算數各單位編列情形如下：", None)  # a heading
    assert [(i.ordinal, i.amount_twd) for i in units.items] == [(1, 7_384_000), (2, 18_273_000)]
    [weapons] = content.items
    vehicle, cars = weapons.items
    assert (weapons.amount_twd, vehicle.amount_twd, cars.amount_twd) == (25_657_000, 25_000_000, 657_000)
    assert (vehicle.ordinal, vehicle.source.line, vehicle.source.end_line) == (1, 41, 44)
    assert vehicle.change_twd is None  # states no comparison
    farmers, network = row(doc, "6108013700").items
    assert farmers.change_twd == -(93_367 + 629_736 + 280_583) * 1000  # 減列 A、B 及 C
    assert (network.amount_twd, network.change_twd) == (17_027_000, -1_427_000)  # 本科目編列, not 總經費


def test_single_statement_and_empty_notes_give_no_items(doc):
    single = row(doc, "3102010200")
    assert single.items == [] and single.preamble.startswith("本年度預算數30,000千元，係國家元首國內外訪視")
    assert row(doc, "3102010400").items == [] and row(doc, "3102010400").preamble == ""


def test_counts_of_parsed_and_unparsed_items(doc):
    counts = doc.item_counts()
    assert (counts.parsed, counts.unparsed) == (16, 3)
    assert len(doc.line_items()) == 19


def test_amount_and_change_rules_on_their_own():
    assert item_amount("新增亞洲．矽谷試驗場域計畫總經費1,128,000千元，分3年辦理，本年度編列第1年經費329,358千元。") == 329_358_000
    assert item_amount("華山司法園區計畫總經費9,115,484千元，分年辦理，本年度暫緩編列，上年度所列35,454千元如數減列。") == 0
    assert item_change("華山司法園區計畫總經費9,115,484千元，本年度暫緩編列，上年度所列35,454千元如數減列。", 0) == -35_454_000
    assert item_change("研發替代役經費31,452千元，較上年度淨減951千元，包括：", 31_452_000) == -951_000
    assert item_amount("1,0000千元") is None  # not a number as printed
    assert parse_note("仍照上年度預算數編列。", "f", 7) == ("仍照上年度預算數編列。", [])


def test_utf8_with_a_bom_is_read_and_the_stage_comes_from_the_name():
    doc = read(DATA / "proposed-2019.csv")
    assert (doc.stage, doc.year, [r.code for r in doc.rows]) == ("proposed", 2019, ["6330011100"])
    assert doc.rows[0].items[0].amount_twd == 2_479_000


def test_year_and_stage_given_by_the_caller_win_over_the_name():
    doc = read(ENACTED, stage="proposed")
    assert (doc.stage, doc.year) == ("proposed", 2019)
    with pytest.raises(InputError, match=r"enacted-2019.csv:2: year 2019 in a row of the proposed budget of 2018"):
        read(ENACTED, stage="proposed", year=2018)


def test_gzip_is_read_as_is(tmp_path):
    path = tmp_path / "enacted-2019.csv.gz"
    path.write_bytes(gzip.compress(ENACTED.read_bytes()))
    packed, plain = read(path), read(ENACTED)
    assert [(r.code, r.amount, r.source.line, r.note) for r in packed.rows] == \
           [(r.code, r.amount, r.source.line, r.note) for r in plain.rows]
    assert packed.rows[0].source.file == str(path)


@pytest.mark.parametrize("name, line, message", [
    ("empty.csv", 1, r"empty file: expected the header line year,code,amount,name,topname,depname,depcat,cat,ref,note"),
    ("missing-columns.csv", 1, r"missing column\(s\) depcat, note: expected the header line year,code,"),
    ("bad-amount.csv", 4, r"amount '6,724,000' of code 3102010400: expected a whole number of TWD, digits only"),
    ("duplicate-code.csv", 5, r"code 3102010200 is given twice, on lines 2 and 5: expected each code once"),
    ("big5.csv", 3, r"byte 0x[0-9a-f]{2} is not UTF-8: a budget CSV must be UTF-8 \(with or without a BOM\)"),
    ("wrong-year.csv", 3, r"year 2018 in a row of the enacted budget of 2019: expected 2019"),
    ("unterminated-quote.csv", 3, r"not valid CSV \(unexpected end of data\)"),
])
def test_bad_input_names_the_file_and_line(name, line, message):
    path = DATA / "bad" / name
    with pytest.raises(InputError) as e:
        read(path, stage="enacted", year=2019)
    assert (e.value.file, e.value.line) == (str(path), line)
    assert re.search(message, e.value.message), e.value.message
    assert str(e.value).startswith(f"{path}:{line}: ")


CSV_HEADER = ",".join(budget_csv.COLUMNS)


@pytest.mark.parametrize("record, line, message", [
    # found by tests/test_fuzz_loaders.py: a note's line of 5000 nines and "1." was int()'s ValueError traceback
    ('2019,7706509800,100000,a,b,c,d,e,f,"x\n' + "9" * 5000 + '1.x"', 3,
     r"an item number of 5001 digits in the note: expected items numbered 1\. 2\. … \(at most 30 digits\)"),
    # the same int() limit elsewhere: the amount, an item's N千元
    ("2019,7706509800," + "9" * 5000 + ",a,b,c,d,e,f,x", 2,
     r"amount of code 7706509800 has 5000 digits: expected a whole number of TWD of at most 30 digits"),
    ('2019,7706509800,1,a,b,c,d,e,f,"x\n1.經費' + "9" * 5000 + '千元"', 3,
     r"item 1 of the note states an amount of 5000 digits: expected N千元 with at most 30 digits"),
])
def test_a_number_too_long_to_read_names_its_line(record, line, message):
    with pytest.raises(InputError) as e:
        budget_csv.parse(f"{CSV_HEADER}\n{record}\n".encode(), file="proposed-2019.csv")
    assert (e.value.file, e.value.line) == ("proposed-2019.csv", line)
    assert re.search(message, e.value.message), e.value.message


def test_a_budget_of_unknown_stage_is_refused(tmp_path):
    path = tmp_path / "budget.csv"
    path.write_bytes(ENACTED.read_bytes())
    with pytest.raises(InputError, match=r"unknown budget stage None: expected proposed or enacted"):
        read(path)
    assert read(path, stage="enacted").year == 2019  # the first row's


def test_the_registry_picks_the_budget_loader_by_name_and_header():
    data = ENACTED.read_bytes()
    assert registry.loader_for("enacted-2019.csv", data) is budget_csv.LOADER
    assert registry.loader_for("budget.txt", data) is budget_csv.LOADER  # the whole header
    assert registry.loader_for("x.csv.gz", gzip.compress(data)) is budget_csv.LOADER
    assert registry.loader_for("anything.csv", b"a,b\n") is plan_text.LOADER
    assert registry.loader_for("plan.txt", SEED.read_bytes()) is plan_text.LOADER
    doc = registry.load(str(ENACTED), data, categories=[])
    assert isinstance(doc, BudgetDocument) and len(doc.rows) == 7


def test_a_budget_given_as_a_plan_file_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(InputError, match=r"read as a BudgetDocument, but the build takes plan files only on the "
                                         r"command line: list budgets and law indexes in a registry"):
        pipeline.compile_plans(pipeline.read_inputs([ENACTED]), BASE)
    out = run_plankg("build", "--store", str(tmp_path / "store"), str(ENACTED))
    assert out.returncode == 2 and str(ENACTED) in out.stderr and "BudgetDocument" in out.stderr
    assert not (tmp_path / "store").exists()
    forced = run_plankg("validate", "--loader", "budget-csv", str(SEED))
    assert forced.returncode == 2  # the plan's first non-blank line is taken for the header
    assert re.search(rf"{re.escape(str(SEED))}:\d+: missing column\(s\) year, code, amount", forced.stderr)


# the shipped data


@pytest.fixture(scope="module")
def shipped() -> dict[tuple[str, int], BudgetDocument]:
    return {(d.stage, d.year): d for d in budget_csv.shipped_documents()}


def test_the_shipped_documents_are_the_package_data():
    assert [f.name for f in resources.budget_files()] == sorted(name for name, _, _ in budget_csv.SHIPPED)


def test_enacted_2019_figures(shipped):
    doc = shipped["enacted", 2019]
    assert doc.file == "<bundled>/budget/enacted-2019.csv.gz"
    assert len(doc.rows) == 1177
    assert len({r.topname for r in doc.rows}) == 26 and len({r.depname for r in doc.rows}) == 235
    labour = row(doc, "6330011100")
    assert (labour.amount, labour.depname, labour.depcat, labour.topname) == (14_762_000, "勞動部", "綜合規劃業務", "勞動部主管")
    first = labour.items[0]
    assert first.text.startswith("策劃政策推展經費2,479千元")
    assert (first.ordinal, first.amount_twd, first.change_twd) == (1, 2_479_000, -576_000)
    assert sum(i.amount_twd for i in labour.items) == labour.amount


def test_shipped_figures_of_every_document(shipped):
    figures = {key: (len(d.rows), len({r.depname for r in d.rows}), tuple(d.item_counts().__dict__.values()))
               for key, d in shipped.items()}
    assert figures == {("enacted", 2018): (1151, 232, (2721, 13)),
                       ("proposed", 2019): (1177, 235, (2707, 13)),
                       ("enacted", 2019): (1177, 235, (2706, 13))}
    for doc in shipped.values():  # what is left unparsed is the headings of the per-unit lists
        assert {i.text for i in doc.line_items() if not i.parsed} <= {
            "本年度預算數各單位編列情形如下：", "本年度預算數之內容如下：", "本年度預算數之內容與上年度之比較如下："}


def test_where_all_top_level_items_have_amounts_they_add_up_to_the_row(shipped):
    for doc in shipped.values():
        complete = [r for r in doc.rows if r.items and all(i.parsed for i in r.items)]
        wrong = [r.code for r in complete if sum(i.amount_twd for i in r.items) != r.amount]
        assert len(complete) > 600 and len(wrong) <= 2, wrong


def test_sources_md_lists_the_sha256_of_every_shipped_file():
    sources = (ROOT / "data" / "SOURCES.md").read_text(encoding="utf-8")
    for f in resources.budget_files():
        digest = hashlib.sha256(gzip.decompress(f.read_bytes())).hexdigest()
        assert f.name.removesuffix(".gz") in sources and digest in sources, f.name


def test_shipped_data_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(budget_csv.shipped_document("proposed", 2019).rows) == 1177
    with pytest.raises(KeyError):
        budget_csv.shipped_document("enacted", 2017)
