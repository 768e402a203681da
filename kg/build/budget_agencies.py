"""The agencies (機關) of a central budget document, read from its budget codes. No RDF here.

A budget code (科目代碼) has ten characters: ``63|3001|1100`` is 勞動部's 綜合規劃業務.

* digits 1–2: the function of government (政事別), e.g. 63 福利服務支出;
* digits 3–6: the agency, **the agency code**: 3–4 the 主管 (30 = 勞動部主管), 5–6 the agency under
  it (01 the ministry itself, 10 勞工保險局, 20 勞動力發展署及所屬 …);
* digits 7–10: the work plan within the agency (classified budgets have a capital letter here:
  ``391101A000``).

Worked out from the data and checked on the three shipped files (tests/test_budget_rdf.py): every
``depname`` has exactly one agency code in all three, and within one file every agency code has
exactly one ``depname``. Across files a code may have two names, when the agency was renamed
between the budgets (最高法院檢察署 → 最高檢察署, 2018 → 2019): the code, not the name, is the
agency's identity. Rows whose function differs are still one agency (6330011100 and 6130011300
are both 勞動部).

The 主管 of an agency is the organisation named by its rows' ``topname`` without 主管
(勞動部主管 → 勞動部), found among the agencies of the same document; 省市地方政府 is no
organisation and gives none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from plankg.loaders.model import BudgetDocument, BudgetRow

SUPERVISOR_SUFFIX = "主管"


def agency_code(code: str) -> str:
    """Digits 3–6 of a budget code: the agency."""
    return code[2:6]


def function_code(code: str) -> str:
    """Digits 1–2 of a budget code: the function of government (政事別)."""
    return code[:2]


@dataclass(frozen=True)
class Agency:
    code: str  # the agency code, 4 digits
    name: str  # depname as printed in the document
    supervisor: str | None  # agency code of its 主管 organisation; None for a 主管 itself or none
    rows: int  # number of rows (budget work plans) of the agency in the document


def agencies(doc: BudgetDocument) -> tuple[dict[str, Agency], list[str]]:
    """The agencies of ``doc`` by agency code, in order of first row, and warnings (inconsistencies)."""
    names: dict[str, list[str]] = defaultdict(list)  # agency code -> depnames, in order
    codes: dict[str, set[str]] = defaultdict(set)  # depname -> agency codes
    tops: dict[str, set[str]] = defaultdict(set)  # agency code -> topnames
    first: dict[str, BudgetRow] = {}
    count: dict[str, int] = defaultdict(int)
    for row in doc.rows:
        a = agency_code(row.code)
        if row.depname not in names[a]:
            names[a].append(row.depname)
        codes[row.depname].add(a)
        tops[a].add(row.topname)
        first.setdefault(a, row)
        count[a] += 1
    warnings = [f"{doc.file}: agency {d} has budget codes of {len(c)} agencies ({', '.join(sorted(c))}); "
                "its rows are mapped to each" for d, c in codes.items() if len(c) > 1]
    warnings += [f"{doc.file}: agency code {a} is printed with {len(n)} names ({'、'.join(n)}); "
                 f"the first, {n[0]}, is its label" for a, n in names.items() if len(n) > 1]
    by_name = {n[0]: a for a, n in names.items()}
    out: dict[str, Agency] = {}
    for a, row in first.items():
        if len(tops[a]) > 1:
            warnings.append(f"{doc.file}:{row.source.line}: agency {names[a][0]} ({a}) is under "
                            f"{len(tops[a])} 主管: {'、'.join(sorted(tops[a]))}; the first row's is used")
        supervisor = None
        if row.topname.endswith(SUPERVISOR_SUFFIX):
            supervisor = by_name.get(row.topname.removesuffix(SUPERVISOR_SUFFIX))
            if supervisor is None:
                warnings.append(f"{doc.file}:{row.source.line}: no agency of the document is named after "
                                f"the 主管 {row.topname}; {names[a][0]} ({a}) is given no parent organisation")
        out[a] = Agency(a, names[a][0], supervisor if supervisor != a else None, count[a])
    return out, warnings


def check_agency_codes(docs: Iterable[BudgetDocument]) -> list[str]:
    """Across documents: every ``depname`` with more than one agency code, and every agency code with
    more than one name (renamed agencies), as sentences; empty when codes and names agree one to one."""
    codes: dict[str, set[str]] = defaultdict(set)
    names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # code -> name -> files
    for doc in docs:
        for row in doc.rows:
            a = agency_code(row.code)
            codes[row.depname].add(a)
            names[a][row.depname].add(f"{doc.stage}-{doc.year}")
    out = [f"{d} has {len(c)} agency codes: {', '.join(sorted(c))}" for d, c in sorted(codes.items()) if len(c) > 1]
    for a, by_name in sorted(names.items()):
        if len(by_name) > 1:
            out.append(f"agency code {a} has {len(by_name)} names: " + "; ".join(
                f"{n} ({', '.join(sorted(f))})" for n, f in sorted(by_name.items(), key=lambda x: sorted(x[1]))))
    return out


__all__ = ["Agency", "agencies", "agency_code", "function_code", "check_agency_codes"]
