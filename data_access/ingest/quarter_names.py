"""Which quarter a sheet name, a title or a column header names, as county offices write it:
三季度, 第三季度, 3季度, Q3, 2026Q3, 7-9月, 7月—9月, 七至九月, 截至9月底, 2026年第3季度, 上半年, 前三季度.

A yearly workbook holds a sheet per quarter, a reused file keeps last quarter's title, an extra
column says 上季度: the reader uses these to pick the sheet and columns of the quarter chosen, and
to say which quarter a file's figures seem to be for."""
from __future__ import annotations

import re
import unicodedata

_CN = {"I": 1, "II": 2, "III": 3, "IV": 4, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
       "十一": 11, "十二": 12}
_NUM = r"(1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])"
_YEAR = r"((?:19|20)\d{2})"

_QUARTER = re.compile(_YEAR + r"?年?(?:度)?第?([1-4一二三四]|IV|I{1,3})季")
_Q = re.compile(r"(?<![A-Za-z])(?:" + _YEAR + r"[-_./年]?)?[Qq]([1-4])(?!\d)")
_MONTHS = re.compile(_YEAR + r"?年?" + _NUM + r"月?(?:份)?[-~—–－至到]+" + _NUM + r"月")
_UNTIL = re.compile(r"截[至止]" + _YEAR + r"?年?" + _NUM + r"月(?:底|末|\d{1,2}日)?")
_HALF = re.compile(_YEAR + r"?年?(上半年|前三季度)")
_ANY_YEAR = re.compile(_YEAR + r"(?!\d)")

# Words that make a column a different period's figure ("上季度在册患者数", "在册患者数（去年同期）").
RELATIVE_WORDS = ("上季度", "上一季度", "上个季度", "前一季度", "上期", "上年", "去年", "同期", "环比", "同比",
                  "增减", "增长", "较上", "比上")


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _CN[token]


def quarters_named(text: object) -> set[tuple[int | None, int]]:
    """{(year or None, quarter)} the text names; empty when it names none."""
    if not isinstance(text, str) or not text:
        return set()
    s = unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "")
    years = set(_ANY_YEAR.findall(s))
    only_year = int(next(iter(years))) if len(years) == 1 else None
    found: set[tuple[int | None, int]] = set()

    def add(year: str | None, quarter: int) -> None:
        found.add((int(year) if year else only_year, quarter))

    for year, q in _QUARTER.findall(s):
        add(year, _number(q))
    for year, q in _Q.findall(s):
        add(year, int(q))
    for year, first, last in _MONTHS.findall(s):
        m1, m2 = _number(first), _number(last)
        # 7-9月 is the third quarter; 1-9月 (year to date) ends with it too. 1-10月 names no quarter.
        if m2 % 3 == 0 and m1 in (m2 - 2, 1):
            add(year, m2 // 3)
    for year, month in _UNTIL.findall(s):
        m = _number(month)
        if m % 3 == 0:
            add(year, m // 3)
    for year, word in _HALF.findall(s):
        add(year, 2 if word == "上半年" else 3)
    return found


def names_relative_period(text: object) -> bool:
    """True for a header such as 上季度在册患者数 or 去年同期 (another period's figure)."""
    if not isinstance(text, str):
        return False
    s = unicodedata.normalize("NFKC", text).replace(" ", "")
    return any(w in s for w in RELATIVE_WORDS)


def relation(named: set[tuple[int | None, int]], year: int, quarter: int) -> str:
    """'match' (names the quarter, and no other), 'other' (names only other quarters), 'mixed', or
    'none' (names no quarter)."""
    if not named:
        return "none"
    hits = {(y, q) for y, q in named if q == quarter and y in (None, year)}
    if hits == named:
        return "match"
    return "mixed" if hits else "other"


def parse_period_code(code: str) -> tuple[int, int] | None:
    """"2026Q3" -> (2026, 3)."""
    m = re.fullmatch(r"(\d{4})Q([1-4])", code or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def years_named(text: object) -> set[int]:
    if not isinstance(text, str):
        return set()
    return {int(y) for y in _ANY_YEAR.findall(unicodedata.normalize("NFKC", text))}


def with_year(named: set[tuple[int | None, int]], years: set[int]) -> set[tuple[int | None, int]]:
    """A sheet named 三季度 in a workbook titled 2025年…: the quarter of that year."""
    if len(years) != 1:
        return named
    year = next(iter(years))
    return {(y if y is not None else year, q) for y, q in named}


def period_code(named: set[tuple[int | None, int]], year: int) -> str | None:
    """The one quarter named, as a code ("2026Q2"; the chosen year when the text names none)."""
    if len(named) != 1:
        return None
    y, q = next(iter(named))
    return f"{y or year}Q{q}"
