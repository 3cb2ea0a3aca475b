"""Step 1-2 of setting up a county: the county, its townships and villages from the division-code
list (CSV in GBK, Excel), and residents per village from a sheet -- on SQLite and PostgreSQL."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

import setup_county as sc
from data_access import models as m
from data_access.access import Actor, PermissionDenied
from data_access.admin import InvalidInput
from data_access.db import session_scope
from data_access.setup import divisions
from data_access.setup.county import put_county

ADMIN = Actor(None, "admin", "admin")
LEADER = Actor(None, "leader", "leader")


@pytest.fixture
def county(engine: Engine) -> Engine:
    with session_scope(engine) as s:
        put_county(s, ADMIN, sc.CODE, sc.NAME)
    return engine


def regions(engine: Engine) -> dict[str, m.Region]:
    with session_scope(engine) as s:
        return {r.code: r for r in s.scalars(select(m.Region))}


def test_county_is_created_renamed_and_its_code_fixed_once_it_has_townships(engine: Engine) -> None:
    with session_scope(engine) as s:
        with pytest.raises(InvalidInput) as bad:
            put_county(s, ADMIN, "33012", "某县")
        assert "6 位数字" in bad.value.text("zh")
        put_county(s, ADMIN, "349900", "青溪县")
        put_county(s, ADMIN, sc.CODE, "清溪县")        # a typo in the code, fixed before anything hangs below
    with session_scope(engine) as s:
        root = s.scalar(select(m.Region).where(m.Region.parent_id.is_(None)))
        assert (root.code, root.path, root.name_zh, root.name_en) == (sc.CODE, f"/{sc.CODE}/", "清溪县", "Qingxi County")
    divisions.load_regions(engine, ADMIN, sc.division_csv(), "区划.csv")
    with session_scope(engine) as s:
        with pytest.raises(InvalidInput) as fixed:
            put_county(s, ADMIN, "349902", "青溪县")
        assert "不能再改" in fixed.value.text("zh")
    with session_scope(engine) as s:
        put_county(s, ADMIN, sc.CODE, "青溪县")
        root = s.scalar(select(m.Region).where(m.Region.parent_id.is_(None)))
        assert root.name_zh == "青溪县" and "清溪县" in root.aliases
        actions = list(s.scalars(select(m.AuditEntry.action).where(m.AuditEntry.action.like("setup.%"))))
    assert actions.count("setup.county") == 3 and "setup.regions" in actions


def test_division_list_in_gbk_csv_creates_townships_and_villages(county: Engine) -> None:
    checked = divisions.load_regions(county, ADMIN, sc.division_csv("gbk"), "青溪县区划.csv")
    assert checked.ok, [p.message() for p in checked.errors]
    assert checked.counts["township_new"] == 4 and checked.counts["village_new"] == 16
    assert any(p.key == "setup.note.other_areas" for p in checked.problems)   # the neighbour's row, skipped
    found = regions(county)
    town = found["349901004"]                      # 12-digit 349901004000 in the list -> 9 digits
    assert (town.name_zh, town.kind, town.is_urban, town.level, town.path) == \
        ("城南街道", "street", True, "township", f"/{sc.CODE}/349901004/")
    assert "城南街道办事处" in town.aliases and town.name_en == "Chengnan Subdistrict"
    village = found["349901001004"]
    assert (village.name_zh, village.kind, village.is_urban, village.name_en) == \
        ("长乐村", "village", False, "Changle Village")
    assert village.aliases == ["长乐村民委员会"] and village.parent_id == found["349901001"].id
    community = found["349901004001"]
    assert (community.name_zh, community.kind, community.is_urban) == ("南门社区", "community", True)
    assert sum(r.level == "village" for r in found.values()) == 16


def test_the_same_list_as_excel_and_again_changes_nothing_then_a_rename_keeps_the_old_name(county: Engine) -> None:
    text = sc.division_csv("utf-8").decode("utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    for line in text.splitlines():
        ws.append([cell if not cell.isdigit() else int(cell) for cell in line.split(",")])  # codes as numbers
    buf = io.BytesIO()
    wb.save(buf)
    first = divisions.load_regions(county, ADMIN, buf.getvalue(), "区划.xlsx")
    assert first.ok and first.counts["village_new"] == 16
    again = divisions.load_regions(county, ADMIN, sc.division_csv("utf-8"), "区划.csv")
    assert again.ok and again.counts["village_same"] == 16 and again.counts["village_new"] == 0
    renamed = sc.division_csv("utf-8").decode("utf-8").replace("长乐村民委员会", "长乐桥村民委员会")
    third = divisions.load_regions(county, ADMIN, renamed.encode("utf-8"), "区划.csv")
    assert third.counts["village_changed"] == 1
    village = regions(county)["349901001004"]
    assert village.name_zh == "长乐桥村" and {"长乐村", "长乐村民委员会", "长乐桥村民委员会"} <= set(village.aliases)


def test_a_bad_list_is_refused_with_every_problem_and_nothing_written(county: Engine) -> None:
    text = "\n".join(sc.division_csv("utf-8").decode("utf-8").splitlines()) + "\n"
    text = text.replace("349901001002,220,", "3499010010,220,")            # a code cut short
    text = text.replace("349901002003,220,", "349901002003,320,")          # no such urban class
    text = text.replace("349901003000,,东岭乡\n", "")                       # a township's row missing
    text += "349901001001,111,重复社区居民委员会\n"                           # a code twice
    checked = divisions.load_regions(county, ADMIN, text.encode("utf-8"), "区划.csv")
    keys = sorted(p.key for p in checked.errors)
    assert keys == sorted(["setup.err.division_code", "setup.err.urban_code", "refimport.err.duplicate_code"]
                          + ["setup.err.village_without_township"] * 4)
    bad = next(p for p in checked.errors if p.key == "setup.err.division_code")
    assert (bad.sheet, bad.cell, bad.value) == ("区划", "A6", "3499010010")
    with session_scope(county) as s:
        assert s.scalar(select(func.count()).select_from(m.Region)) == 1   # the county alone


def test_other_counties_only_and_no_county_are_refused(engine: Engine) -> None:
    refused = divisions.load_regions(engine, ADMIN, sc.division_csv(), "区划.csv")
    assert [p.key for p in refused.errors] == ["setup.err.no_county"]
    with session_scope(engine) as s:
        put_county(s, ADMIN, "110101", "东城区")
    other = divisions.load_regions(engine, ADMIN, sc.division_csv(), "区划.csv")
    assert [p.key for p in other.errors] == ["setup.err.no_county_rows"]
    with pytest.raises(PermissionDenied):
        divisions.load_regions(engine, LEADER, sc.division_csv(), "区划.csv")


def test_population_by_name_and_township_rolls_up(county: Engine) -> None:
    divisions.load_regions(county, ADMIN, sc.division_csv(), "区划.csv")
    checked = divisions.load_population(county, ADMIN, sc.population_xlsx(), "人口.xlsx")
    assert checked.ok, [p.message() for p in checked.errors]
    found = regions(county)
    villages = sc.villages()
    for n, v in enumerate(villages):
        assert found[v.code].population == sc.population_of(n), v.spoken
    town = found["349901002"]
    assert town.population == sum(sc.population_of(n) for n, v in enumerate(villages) if v.code.startswith(town.code))
    assert found[sc.CODE].population == sum(sc.population_of(n) for n in range(len(villages)))


def test_population_problems_point_at_their_cells(county: Engine) -> None:
    divisions.load_regions(county, ADMIN, sc.division_csv(), "区划.csv")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["乡镇", "村（社区）", "常住人口"])
    ws.append(["青溪镇", "柳塘村", 1500])
    ws.append(["青溪镇", "无此村", 800])
    ws.append(["白沙镇", "桃源村", "约两千"])
    ws.append(["东岭乡", "茶山村", -5])
    buf = io.BytesIO()
    wb.save(buf)
    checked = divisions.load_population(county, ADMIN, buf.getvalue(), "人口.xlsx")
    assert [(p.key, p.cell) for p in checked.errors] == [
        ("setup.err.place_unknown", "B3"), ("refimport.err.not_count", "C4"), ("refimport.err.not_count", "C5")]
    assert regions(county)["349901001002"].population is None


def test_hostile_population_sheet_is_refused_in_the_sandbox(county: Engine) -> None:
    """The setup tables are read like every uploaded workbook: the 11 KB killer (a cell at
    A4000000000, which aborts calamine) is refused with its message and changes nothing."""
    import hostile_files as hf

    divisions.load_regions(county, ADMIN, sc.division_csv(), "区划.csv")
    before = {code: r.population for code, r in regions(county).items()}
    checked = divisions.load_population(county, ADMIN, hf.far_cell(sc.population_xlsx()), "人口.xlsx")
    assert [p.key for p in checked.errors] == ["ingest.err.sheet_too_large"]
    assert "4000000000" in checked.errors[0].message("zh")
    assert {code: r.population for code, r in regions(county).items()} == before
