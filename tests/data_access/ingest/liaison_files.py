"""Workbooks as county liaisons really hand them in, built from the project's own templates and then
handled the way offices handle sheets: pasted lists, sorted names, yearly workbooks, corrections of
two rows, formulas, footers, WPS/LibreOffice copies. Each case says what the liaison meant: the
outcome, the cells refused, and the figures that must be in the database afterwards.

Health sheet layout (the template): A code, B name, C/D 规范管理患者数/在册患者数, E/F 参加社区康复人数/
居家患者数, G/H 建档人数/常住人口; title row 1, header rows 2-3, townships on rows 4-16 in code order
(北山乡 990101001 first, 和安经济开发区 990101013 last)."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

import openpyxl

TOWNS = ["北山乡", "黄岭乡", "柳溪乡", "清水乡", "西城街道", "城关镇", "东城街道", "南湖镇", "青石镇", "白塔镇", "石门镇",
         "凤鸣镇", "和安经济开发区"]
CODES = [f"990101{i:03d}" for i in range(1, 14)]
CODE_OF = dict(zip(TOWNS, CODES))
HEALTH = ("smd_managed", "rehab_participation", "mh_records")
HEALTH_HEADER = ["区划代码", "乡镇（街道）名称", "规范管理患者数", "在册患者数", "参加社区康复人数", "居家患者数", "建档人数",
                 "常住人口"]


def figures(base: int = 0) -> dict[str, tuple[int, int, int, int, int, int]]:
    """What the liaison enters per township: smd num/den, rehab num/den, records num/den."""
    return {code: (30 + i + base, 45 + i + base, 10 + i, 30 + i, 4000 + 7 * i, 9000 + 11 * i)
            for i, code in enumerate(CODES)}


Q3 = figures()
Q2 = figures(base=100)
Q1 = figures(base=200)


def stored(rows: dict[str, tuple]) -> dict[tuple[str, str], tuple[float, float]]:
    """The figures a file gives, as they must read back from the observations table."""
    out = {}
    for code, v in rows.items():
        for k, ind in enumerate(HEALTH):
            if v[2 * k] is not None and v[2 * k + 1] is not None:
                out[(code, ind)] = (float(v[2 * k]), float(v[2 * k + 1]))
    return out


def save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def put_rows(ws, rows: dict[str, tuple], first: int = 4, code_col: int = 1) -> None:  # noqa: ANN001
    """Figures into a template-shaped sheet, by the code already in each row."""
    for r in range(first, ws.max_row + 1):
        code = ws.cell(r, code_col).value
        if code in rows:
            for k, v in enumerate(rows[code]):
                ws.cell(r, 3 + k).value = v


def filled(template: bytes, rows: dict[str, tuple] | None = None) -> bytes:
    wb = load(template)
    put_rows(wb["数据"], Q3 if rows is None else rows)
    return save(wb)


def own_workbook(header: list[str], body: list[list[Any]], title: str | None = "和安县严重精神障碍患者管理情况统计表",
                 sheet: str = "Sheet1", extra: Callable[[Any], None] | None = None) -> bytes:
    """A sheet the office made itself (no template, no hidden data): a title row, a header, rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(header)
    for row in body:
        ws.append(row)
    if extra:
        extra(ws)
    return save(wb)


def body_by_name(rows: dict[str, tuple], order: list[str] | None = None, names: Callable[[str], str] = str
                 ) -> list[list[Any]]:
    return [[names(t), *rows[CODE_OF[t]]] for t in (order or TOWNS)]


def patch_cells(data: bytes, sheet_part: str, cells: dict[str, str]) -> bytes:
    """Replace cells in a sheet's XML with raw XML, as Excel/WPS write what openpyxl cannot
    (a formula with its saved result: an error value, an empty string, floating noise)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    xml = src.read(sheet_part).decode()
    for ref, fragment in cells.items():
        pattern = re.compile(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)', re.S)
        assert pattern.search(xml), ref
        xml = pattern.sub(fragment.replace("\\", "\\\\"), xml, count=1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, xml.encode() if item.filename == sheet_part else src.read(item))
    return buf.getvalue()


@dataclass
class Case:
    """One file and what its liaison meant."""

    make: Callable[["Ctx"], bytes]
    accepted: bool
    errors: list[tuple[str, str]] = field(default_factory=list)   # (key, cell) of every error, for a refusal
    given: Callable[["Ctx"], dict] | None = None                 # the figures the file gives (accepted)
    department: str = "health"
    replace: bool = False
    filename: str = "报表.xlsx"
    needs_soffice: bool = False


@dataclass
class Ctx:
    template: Callable[..., bytes]          # template(department="health", period="2026Q3")
    to_xls: Callable[[bytes, str], bytes]   # LibreOffice conversion, as WPS/Excel "save as" would


SHEET = "xl/worksheets/sheet2.xml"   # the template's 数据 sheet (after 填表说明)
ROW = {code: 4 + i for i, code in enumerate(CODES)}   # template row of each township


def _t(ctx: Ctx, **kw: Any) -> bytes:
    return ctx.template(**kw)


# --- silent wrong values: name and code disagree --------------------------------------------------

def pasted_list_over_template(ctx: Ctx) -> bytes:
    """The bureau pastes its own list (names + figures, its own order) over the template; the
    protected code column stays as it was."""
    wb = load(_t(ctx))
    ws = wb["数据"]
    order = sorted(TOWNS, key=lambda t: t.encode("gbk"))   # the bureau's list, sorted by pinyin
    for r, town in enumerate(order, start=4):
        ws.cell(r, 2).value = town
        for k, v in enumerate(Q3[CODE_OF[town]]):
            ws.cell(r, 3 + k).value = v
    return save(wb)


def _pasted_errors() -> list[tuple[str, str]]:
    order = sorted(TOWNS, key=lambda t: t.encode("gbk"))
    return [("ingest.err.name_code_mismatch", f"B{r}") for r, town in enumerate(order, start=4) if town != TOWNS[r - 4]]


def sorted_names_and_figures_not_codes(ctx: Ctx) -> bytes:
    """Sorted by 在册患者数, descending, with the code column left out of the selection."""
    wb = load(_t(ctx))
    ws = wb["数据"]
    order = sorted(TOWNS, key=lambda t: -Q3[CODE_OF[t]][1])
    for r, town in enumerate(order, start=4):
        ws.cell(r, 2).value = town
        for k, v in enumerate(Q3[CODE_OF[town]]):
            ws.cell(r, 3 + k).value = v
    return save(wb)


def sorted_names_without_codes(ctx: Ctx) -> bytes:
    """Code column deleted, rows sorted by name: the names decide, and are right."""
    wb = load(filled(_t(ctx)))
    ws = wb["数据"]
    rows = [[ws.cell(r, c).value for c in range(2, 9)] for r in range(4, 17)]
    rows.sort(key=lambda r: r[0].encode("gbk"))
    for r, values in enumerate(rows, start=4):
        ws.cell(r, 1).value = None
        for c, v in enumerate(values, start=2):
            ws.cell(r, c).value = v
    return save(wb)


def names_with_suffixes_no_codes(ctx: Ctx) -> bytes:
    """Health centres' names and the county prefix, no code column (the liaison's own sheet)."""
    def name(t: str) -> str:
        return {0: f"{t}卫生院", 1: f"和安县{t}", 2: t.rstrip("乡镇")}[TOWNS.index(t) % 3] if t != "和安经济开发区" \
            else "经开区"
    return own_workbook(["单位名称", *HEALTH_HEADER[2:]], body_by_name(Q3, names=name))


def unknown_name_on_a_code(ctx: Ctx) -> bytes:
    wb = load(filled(_t(ctx)))
    wb["数据"]["B6"] = "火星镇"
    return save(wb)


def alias_on_its_own_code(ctx: Ctx) -> bytes:
    wb = load(filled(_t(ctx)))
    wb["数据"]["B4"] = "北山"
    wb["数据"]["B9"] = "城关鎮"
    return save(wb)


# --- several sheets could hold the data ----------------------------------------------------------

def _yearly(ctx: Ctx, names: list[str], data: list[dict | None], titles: list[str] | None = None) -> bytes:
    wb = load(_t(ctx))
    base = wb["数据"]
    sheets = [base] + [wb.copy_worksheet(base) for _ in names[1:]]
    for ws, name, rows in zip(sheets, names, data):
        ws.title = name
        if rows:
            put_rows(ws, rows)
    if titles:
        for ws, title in zip(sheets, titles):
            ws["A1"] = title
    order = {name: i for i, name in enumerate(names)}
    wb._sheets.sort(key=lambda s: (order.get(s.title, -1 if s.title == "填表说明" else 99)))
    return save(wb)


def yearly_workbook(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["一季度", "二季度", "三季度", "四季度"], [Q1, Q2, Q3, None])


def yearly_q2_sheet_first(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["二季度", "三季度"], [Q2, Q3])


def yearly_sheets_named_q(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["2026Q1", "2026Q2", "2026Q3"], [Q1, Q2, Q3])


def yearly_sheets_by_months(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["1-3月", "4-6月", "7-9月"], [Q1, Q2, Q3])


def yearly_sheets_titled(ctx: Ctx) -> bytes:
    """Sheet1..3: only the titles say which quarter."""
    return _yearly(ctx, ["Sheet1", "Sheet2", "Sheet3"], [Q1, Q3, Q2],
                   ["和安县2026年第1季度严重精神障碍患者管理报表", "和安县2026年第3季度严重精神障碍患者管理报表",
                    "和安县2026年第2季度严重精神障碍患者管理报表"])


def two_copies_of_this_quarter(ctx: Ctx) -> bytes:
    """数据 and a WPS copy 数据(2), both filled differently: which one is meant is not decidable."""
    return _yearly(ctx, ["数据", "数据(2)"], [Q3, Q2])


def yearly_this_quarter_empty(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["一季度", "二季度", "三季度"], [Q1, Q2, None])


def own_sheet_of_last_quarter(ctx: Ctx) -> bytes:
    return own_workbook(HEALTH_HEADER[1:], body_by_name(Q2), title="和安县2026年第二季度严重精神障碍患者管理情况",
                        sheet="二季度")


def own_sheet_of_last_year(ctx: Ctx) -> bytes:
    return own_workbook(HEALTH_HEADER[1:], body_by_name(Q2), title="和安县2025年第三季度严重精神障碍患者管理情况")


def template_of_last_quarter(ctx: Ctx) -> bytes:
    return filled(_t(ctx, period="2026Q2"), Q3)


# --- wrong accepts -------------------------------------------------------------------------------

def blank_template(ctx: Ctx) -> bytes:
    return _t(ctx)


def correction_of_two_rows(ctx: Ctx) -> bytes:
    """The template with only the two corrected rows kept."""
    wb = load(filled(_t(ctx), {CODES[1]: (1, 2, 3, 4, 5, 6), CODES[4]: (7, 8, 9, 10, 11, 12)}))
    ws = wb["数据"]
    for r in range(16, 3, -1):
        if r not in (ROW[CODES[1]], ROW[CODES[4]]):
            ws.delete_rows(r)
    return save(wb)


def correction_in_the_full_template(ctx: Ctx) -> bytes:
    """Two rows filled, the rest left blank."""
    return filled(_t(ctx), {CODES[1]: (1, 2, 3, 4, 5, 6), CODES[4]: (7, 8, 9, 10, 11, 12)})


CORRECTION = {CODES[1]: (1, 2, 3, 4, 5, 6), CODES[4]: (7, 8, 9, 10, 11, 12)}


def _with(edit: Callable[[Any], None], rows: dict | None = None) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        wb = load(filled(_t(ctx), rows))
        edit(wb["数据"])
        return save(wb)
    return make


def set_cells(**cells: Any) -> Callable[[Any], None]:
    """An edit that types each value into its cell, as a liaison does over the template."""
    def edit(ws: Any) -> None:
        for ref, value in cells.items():
            ws[ref] = value
    return edit


def _xml(cells: dict[str, str], rows: dict | None = None) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        return patch_cells(filled(_t(ctx), rows), SHEET, cells)
    return make


def percent_formatted_one(ctx: Ctx) -> bytes:
    """100% typed into a count cell: Excel stores 1 with a percentage format."""
    wb = load(filled(_t(ctx)))
    wb["数据"]["C7"] = 1
    wb["数据"]["C7"].number_format = "0%"
    return save(wb)


# --- wrong rejects -------------------------------------------------------------------------------

def statistical_footer(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        ws["A18"] = "单位负责人：王五"
        ws["C18"] = "统计负责人：赵六"
        ws["E18"] = "制表人：张三"
        ws["G18"] = "报出日期：2026年10月9日"
        ws["A19"] = "注：1.规范管理患者数指按规范要求随访管理的在册患者。"
        ws["A20"] = "2.常住人口以统计部门公布数为准。"
    return _with(edit)(ctx)


def _total_row(label: str) -> Callable[[Ctx], bytes]:
    def edit(ws: Any) -> None:
        ws["B17"] = label
        for k in range(6):
            ws.cell(17, 3 + k).value = sum(v[k] for v in Q3.values())
    return _with(edit)


def unlabelled_sum_row(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for k in range(6):
            ws.cell(17, 3 + k).value = f"=SUM({'CDEFGH'[k]}4:{'CDEFGH'[k]}16)"
    data = _with(edit)(ctx)
    sums = {f"{'CDEFGH'[k]}17": f'<c r="{"CDEFGH"[k]}17"><f>SUM({"CDEFGH"[k]}4:{"CDEFGH"[k]}16)</f>'
            f'<v>{sum(v[k] for v in Q3.values())}</v></c>' for k in range(6)}
    return patch_cells(data, SHEET, sums)


def previous_quarter_column(ctx: Ctx) -> bytes:
    """上季度在册患者数 inserted before 在册患者数 (a reference column of the office's own)."""
    header = ["乡镇（街道）名称", "规范管理患者数", "上季度在册患者数", "在册患者数", "参加社区康复人数", "居家患者数",
              "建档人数", "常住人口"]
    body = [[t, v[0], v[1] + 500, *v[1:]] for t, v in ((t, Q3[CODE_OF[t]]) for t in TOWNS)]
    return own_workbook(header, body)


def name_header(word: str) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        return own_workbook([word, *HEALTH_HEADER[2:]], body_by_name(Q3))
    return make


def formula_noise(ctx: Ctx) -> bytes:
    """=110*1.1 saved as 121.00000000000001: Excel shows 121."""
    code = CODES[2]
    return patch_cells(filled(_t(ctx), {**Q3, code: (*Q3[code][:4], None, Q3[code][5])}), SHEET, {
        "G6": '<c r="G6" s="8"><f>110*1.1</f><v>121.00000000000001</v></c>'})


def iferror_blank(ctx: Ctx) -> bytes:
    """=IFERROR(VLOOKUP(...),"") with the saved result "": a blank, not a formula without a result."""
    rows = {**Q3, CODES[3]: (None, None, *Q3[CODES[3]][2:])}
    return patch_cells(filled(_t(ctx), rows), SHEET, {
        "C7": '<c r="C7" s="8" t="str"><f>IFERROR(VLOOKUP(B7,源!A:C,2,0),"")</f><v></v></c>',
        "D7": '<c r="D7" s="8" t="str"><f>IFERROR(VLOOKUP(B7,源!A:C,3,0),"")</f><v></v></c>'})


def rate_column_with_div0(ctx: Ctx) -> bytes:
    """The office adds its own rate column =C/D; 0 of 0 patients shows #DIV/0!."""
    rows = {**Q3, CODES[12]: (0, 0, *Q3[CODES[12]][2:])}
    data = _with(lambda ws: ws.cell(3, 9, "严重精神障碍患者规范管理率"), rows)(ctx)
    cells = {f"I{r}": f'<c r="I{r}"><f>C{r}/D{r}</f><v>{rows[c][0] / rows[c][1]}</v></c>'
             for c, r in ROW.items() if c != CODES[12]}
    cells["I16"] = '<c r="I16" t="e"><f>C16/D16</f><v>#DIV/0!</v></c>'
    wb_xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET).decode()
    for r in range(4, 17):  # the rate cells do not exist yet: add them at each row's end
        wb_xml = wb_xml.replace(f'<c r="H{r}"', f'<c r="I{r}"/><c r="H{r}"', 1)
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, wb_xml.encode() if item.filename == SHEET else src.read(item))
    return patch_cells(buf.getvalue(), SHEET, cells)


def repeated_header_and_pasted_below(ctx: Ctx) -> bytes:
    """Template rows left empty, the office's list pasted below with its own header row."""
    def edit(ws: Any) -> None:
        ws.append([])
        ws.append(["", "乡镇（街道）名称", "规范管理患者数", "在册患者数", "参加社区康复人数", "居家患者数", "建档人数", "常住人口"])
        for t in reversed(TOWNS):
            ws.append([None, t, *Q3[CODE_OF[t]]])
    return _with(edit, rows={})(ctx)


def twelve_digit_codes(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 1).value = int(ws.cell(r, 1).value + "000")
            ws.cell(r, 2).value = None
    return _with(edit)(ctx)


def text_and_fullwidth_numbers(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 4).value = " " + "".join(chr(ord(ch) + 0xFEE0) for ch in str(ws.cell(r, 4).value))
            ws.cell(r, 8).value = f"{ws.cell(r, 8).value:,}"
    return _with(edit)(ctx)


def _soffice(fmt: str) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        return ctx.to_xls(filled(_t(ctx)), fmt)
    return make


def other_department_template(ctx: Ctx) -> bytes:
    wb = load(_t(ctx, department="justice"))
    ws = wb["数据"]
    for r in range(4, 17):
        ws.cell(r, 3).value, ws.cell(r, 4).value = 10 + r, 20 + r
    return save(wb)


def other_department_own_sheet(ctx: Ctx) -> bytes:
    return own_workbook(["乡镇", "特殊人群总数", "接受个性化疏导人数"], [[t, 20 + i, 10 + i] for i, t in enumerate(TOWNS)],
                        title="和安县特殊人群个性化心理疏导情况表")


def swapped_headers(ctx: Ctx) -> bytes:
    return _with(set_cells(C3="在册患者数", D3="规范管理患者数"))(ctx)


def rates_in_a_count_column(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 5).value = f"{round(100 * ws.cell(r, 5).value / ws.cell(r, 6).value)}%"
    return _with(edit)(ctx)


def q3_pasted_at(ctx: Ctx, first_row: int, first_col: int) -> bytes:
    """The health template with Q3's figures pasted township by township from (first_row, first_col);
    the template's own place is row 4, column C (3)."""
    wb = load(_t(ctx))
    ws = wb["数据"]
    for i, code in enumerate(CODES):
        for k, v in enumerate(Q3[code]):
            ws.cell(first_row + i, first_col + k).value = v
    return save(wb)


def shifted_one_row_down(ctx: Ctx) -> bytes:
    """Figures pasted one row too low: the first township empty, figures under no name at the end."""
    return q3_pasted_at(ctx, 5, 3)


def village_row_in_township_sheet(ctx: Ctx) -> bytes:
    """A village's figures in the township sheet: 北山乡张家村 is not 北山乡."""
    body = body_by_name(Q3)
    body[0][0] = "北山乡张家村"
    return own_workbook(["乡镇", *HEALTH_HEADER[2:]], body)


def quarter_column_groups(ctx: Ctx) -> bytes:
    """One sheet for the year: a group of columns per quarter under 一季度 / 二季度 / 三季度."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["和安县2026年严重精神障碍患者管理情况"])
    groups = [("一季度", Q1), ("二季度", Q2), ("三季度", Q3)]
    top = ["乡镇"] + [g for g, _ in groups for _ in range(6)]
    ws.append(top)
    ws.append([None] + HEALTH_HEADER[2:] * 3)
    for t in TOWNS:
        ws.append([t] + [v for _, rows in groups for v in rows[CODE_OF[t]]])
    ws.merge_cells("A2:A3")
    for k in range(3):
        ws.merge_cells(start_row=2, start_column=2 + 6 * k, end_row=2, end_column=7 + 6 * k)
    return save(wb)


def one_indicator_correction(ctx: Ctx) -> bytes:
    """Only the 规范管理 columns, for three townships: the other indicators are not in the file."""
    rows = [[t, *Q3[CODE_OF[t]][:2]] for t in TOWNS[:3]]
    return own_workbook(["乡镇（街道）", "规范管理患者数", "在册患者数"], rows)


def misspelt_header_with_figures(ctx: Ctx) -> bytes:
    return own_workbook(["乡镇", "规范管理患者数", "在册患着数", "参加社区康复人数", "居家患者数", "建档人数", "常住人口"],
                        body_by_name(Q3))


def numbers_with_units(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 3).value = f"{ws.cell(r, 3).value}人"
    return _with(edit)(ctx)


def name_column_without_header(ctx: Ctx) -> bytes:
    return own_workbook([None, *HEALTH_HEADER[2:]], body_by_name(Q3))


def county_code_total(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        ws["A17"] = "990101"
        for k in range(6):
            ws.cell(17, 3 + k).value = sum(v[k] for v in Q3.values()) + 1   # a total that does not even add up
    return _with(edit)(ctx)


def worked_on_a_copy(ctx: Ctx) -> bytes:
    """The 数据 sheet left blank, the figures in the WPS copy 数据(2) of it."""
    return _yearly(ctx, ["数据", "数据(2)"], [None, Q3])


def last_years_workbook(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["二季度", "三季度"], [Q2, Q3], ["和安县2025年严重精神障碍患者管理报表"] * 2)


def total_first_and_footer(ctx: Ctx) -> bytes:
    body = [["全县合计", *[sum(v[k] for v in Q3.values()) for k in range(6)]]] + body_by_name(Q3)
    body += [[], ["填报单位（盖章）：和安县卫生健康委员会"], ["单位负责人：李四", None, "填表人：王五", None, "联系电话：", 13800001111]]
    return own_workbook(["地区", *HEALTH_HEADER[2:]], body)


UNION = {code: (20 + i, 3 + i % 4) for i, code in enumerate(CODES)}


def union_template(ctx: Ctx) -> bytes:
    wb = load(_t(ctx, department="union"))
    ws = wb["数据"]
    for r in range(4, 17):
        ws.cell(r, 3).value, ws.cell(r, 4).value = UNION[ws.cell(r, 1).value]
    return save(wb)


def union_own_sheet_with_quarter_and_ytd(ctx: Ctx) -> bytes:
    """The office's own columns: sessions this quarter beside the year-to-date the template asks for."""
    header = ["乡镇", "持证心理咨询师和家庭教育指导师人数", "心理健康讲座和团体辅导场次（本季度）",
              "心理健康讲座和团体辅导场次（年度累计）"]
    return own_workbook(header, [[t, UNION[CODE_OF[t]][0], 1, UNION[CODE_OF[t]][1]] for t in TOWNS],
                        title="县总工会2026年第三季度报表")


def union_given(ctx: Ctx) -> dict:
    return {**{(c, "certified_counsellors"): (float(v[0]),) for c, v in UNION.items()},
            **{(c, "outreach_sessions"): (float(v[1]),) for c, v in UNION.items()}}


def justice_pasted_names(ctx: Ctx) -> bytes:
    """Justice template, names pasted in another order over the codes."""
    wb = load(_t(ctx, department="justice"))
    ws = wb["数据"]
    for r, t in enumerate(reversed(TOWNS), start=4):
        ws.cell(r, 2).value = t
        ws.cell(r, 3).value, ws.cell(r, 4).value = 5, 10
    return save(wb)


def petition_template(ctx: Ctx) -> bytes:
    wb = load(_t(ctx, department="petition"))
    ws = wb["数据"]
    for r in range(4, 17):
        ws.cell(r, 3).value = r
    ws["C10"] = "—"
    return save(wb)


def zongzhi_formulas(ctx: Ctx) -> bytes:
    """People served as =SUM of the office's own monthly columns, saved with results."""
    wb = load(_t(ctx, department="zongzhi"))
    ws = wb["数据"]
    for r in range(4, 17):
        ws.cell(r, 3).value, ws.cell(r, 4).value, ws.cell(r, 5).value = 100 + r, 8, 10
    data = save(wb)
    return patch_cells(data, SHEET, {f"C{r}": f'<c r="C{r}"><f>SUM(X{r}:Z{r})</f><v>{100 + r}</v></c>'
                                     for r in range(4, 17)})


def zongzhi_given(ctx: Ctx) -> dict:
    out = {}
    for r, code in enumerate(CODES, start=4):
        out[(code, "people_served")] = (float(100 + r),)
        out[(code, "mediation_success")] = (8.0, 10.0)
    return out


SCHOOL_SHEET = "数据"


def education_partial(ctx: Ctx) -> bytes:
    """The education bureau corrects two schools; the rest of the template left empty."""
    wb = load(_t(ctx, department="education"))
    ws = wb[SCHOOL_SHEET]
    ws["D4"], ws["E4"], ws["F4"] = "是", 2, 1
    ws["D5"], ws["E5"], ws["F5"] = "否", 0, 0
    return save(wb)


CASES: dict[str, Case] = {
    # Silent wrong values.
    "pasted_list_over_template": Case(pasted_list_over_template, False, _pasted_errors()),
    "sorted_names_and_figures_not_codes": Case(sorted_names_and_figures_not_codes, False, [
        ("ingest.err.name_code_mismatch", f"B{r}") for r in range(4, 17)
        if sorted(TOWNS, key=lambda t: -Q3[CODE_OF[t]][1])[r - 4] != TOWNS[r - 4]]),
    "sorted_names_without_codes": Case(sorted_names_without_codes, True, given=lambda c: stored(Q3)),
    "names_with_suffixes_no_codes": Case(names_with_suffixes_no_codes, True, given=lambda c: stored(Q3)),
    "unknown_name_on_a_code": Case(unknown_name_on_a_code, False, [("ingest.err.name_not_code", "B6")]),
    "alias_on_its_own_code": Case(alias_on_its_own_code, True, given=lambda c: stored(Q3)),
    "yearly_workbook": Case(yearly_workbook, True, given=lambda c: stored(Q3)),
    "yearly_q2_sheet_first": Case(yearly_q2_sheet_first, True, given=lambda c: stored(Q3)),
    "yearly_sheets_named_q": Case(yearly_sheets_named_q, True, given=lambda c: stored(Q3)),
    "yearly_sheets_by_months": Case(yearly_sheets_by_months, True, given=lambda c: stored(Q3)),
    "yearly_sheets_titled": Case(yearly_sheets_titled, True, given=lambda c: stored(Q3)),
    "two_copies_of_this_quarter": Case(two_copies_of_this_quarter, False, [("ingest.err.several_sheets", "")]),
    "yearly_this_quarter_empty": Case(yearly_this_quarter_empty, False, [("ingest.err.no_sheet_for_quarter", "")]),
    "own_sheet_of_last_quarter": Case(own_sheet_of_last_quarter, False, [("ingest.err.wrong_quarter", "")]),
    "own_sheet_of_last_year": Case(own_sheet_of_last_year, False, [("ingest.err.wrong_quarter", "")]),
    "template_of_last_quarter": Case(template_of_last_quarter, False, [("ingest.err.meta_period", "B3")]),
    # Wrong accepts.
    "blank_template": Case(blank_template, False, [("ingest.err.no_figures", "C4")]),
    "correction_of_two_rows": Case(correction_of_two_rows, True, given=lambda c: stored(CORRECTION)),
    "correction_in_the_full_template": Case(correction_in_the_full_template, True, given=lambda c: stored(CORRECTION)),
    "correction_replacing_the_quarter": Case(correction_of_two_rows, True, given=lambda c: stored(CORRECTION),
                                             replace=True),
    "wu_in_a_cell": Case(_with(set_cells(E8="无")), False, [("ingest.err.text_none", "E8")]),
    "dash_and_slash": Case(_with(set_cells(C5="—", G9="/", F10="-")), False, [
        ("ingest.err.text_dash", "C5"), ("ingest.err.text_dash", "G9"), ("ingest.err.text_dash", "F10")]),
    "error_values_saved_by_formulas": Case(_xml({
        "C5": '<c r="C5" t="e"><f>VLOOKUP(B5,源!A:C,2,0)</f><v>#N/A</v></c>',
        "D6": '<c r="D6" t="e"><f>D5/0</f><v>#DIV/0!</v></c>',
        "E7": '<c r="E7" t="e"><f>B7+1</f><v>#VALUE!</v></c>',
        "F8": '<c r="F8" t="e"><f>#REF!+1</f><v>#REF!</v></c>'}), False, [
        ("ingest.err.excel_na", "C5"), ("ingest.err.excel_div0", "D6"), ("ingest.err.excel_value", "E7"),
        ("ingest.err.excel_ref", "F8")]),
    "error_values_pasted_as_text": Case(_with(set_cells(G11="#N/A", H12="#DIV/0!")), False, [
        ("ingest.err.excel_na", "G11"), ("ingest.err.excel_div0", "H12")]),
    "percent_text_in_a_count": Case(_with(set_cells(C9="100%")), False, [("ingest.err.percent_in_count", "C9")]),
    "percent_format_in_a_count": Case(percent_formatted_one, False, [("ingest.err.percent_in_count", "C7")]),
    # Wrong rejects.
    "statistical_footer": Case(statistical_footer, True, given=lambda c: stored(Q3)),
    "total_row_county_name": Case(_total_row("和安县"), True, given=lambda c: stored(Q3)),
    "total_row_quanxian": Case(_total_row("全县"), True, given=lambda c: stored(Q3)),
    "total_row_zongji": Case(_total_row("总  计"), True, given=lambda c: stored(Q3)),
    "unlabelled_sum_row": Case(unlabelled_sum_row, True, given=lambda c: stored(Q3)),
    "previous_quarter_column": Case(previous_quarter_column, True, given=lambda c: stored(Q3)),
    "name_header_danweimingcheng": Case(name_header("单位名称"), True, given=lambda c: stored(Q3)),
    "name_header_danwei": Case(name_header("单位"), True, given=lambda c: stored(Q3)),
    "name_header_diqu": Case(name_header("地区"), True, given=lambda c: stored(Q3)),
    "name_header_xiangzhen": Case(name_header("乡镇"), True, given=lambda c: stored(Q3)),
    "formula_noise": Case(formula_noise, True, given=lambda c: stored(
        {**Q3, CODES[2]: (*Q3[CODES[2]][:4], 121, Q3[CODES[2]][5])})),
    "iferror_blank": Case(iferror_blank, True, given=lambda c: stored(
        {**Q3, CODES[3]: (None, None, *Q3[CODES[3]][2:])})),
    "rate_column_with_div0": Case(rate_column_with_div0, True, given=lambda c: stored(
        {**Q3, CODES[12]: (0, 0, *Q3[CODES[12]][2:])})),
    "repeated_header_and_pasted_below": Case(repeated_header_and_pasted_below, True, given=lambda c: stored(Q3)),
    "twelve_digit_codes": Case(twelve_digit_codes, True, given=lambda c: stored(Q3)),
    "text_and_fullwidth_numbers": Case(text_and_fullwidth_numbers, True, given=lambda c: stored(Q3)),
    "libreoffice_xlsx_copy": Case(_soffice("xlsx"), True, given=lambda c: stored(Q3), needs_soffice=True),
    "old_xls_with_error_values": Case(lambda c: c.to_xls(CASES["error_values_saved_by_formulas"].make(c), "xls"),
                                      # LibreOffice recalculates on the way: the lookup of a missing sheet is #NAME?
                                      False, [("ingest.err.excel_error", "C5"), ("ingest.err.excel_div0", "D6"),
                                              ("ingest.err.excel_value", "E7"), ("ingest.err.excel_ref", "F8")],
                                      filename="报表.xls", needs_soffice=True),
    "old_xls_copy": Case(_soffice("xls"), True, given=lambda c: stored(Q3), filename="报表.xls", needs_soffice=True),
    # Messages that mislead.
    "other_department_template": Case(other_department_template, False, [("ingest.err.meta_department", "B2")]),
    "other_department_own_sheet": Case(other_department_own_sheet, False, [("ingest.err.other_department", "")]),
    "swapped_headers": Case(swapped_headers, False, [("ingest.err.columns_swapped", "D3")]),
    "rates_in_a_count_column": Case(rates_in_a_count_column, False, [("ingest.err.whole_column", "E3")]),
    "shifted_one_row_down": Case(shifted_one_row_down, False, [("ingest.err.row_without_name", "A17")]),
    "village_name_is_not_its_township": Case(village_row_in_township_sheet, False,
                                             [("ingest.err.unknown_region", "A3")]),
    "quarter_column_groups": Case(quarter_column_groups, True, given=lambda c: stored(Q3)),
    "one_indicator_correction": Case(one_indicator_correction, True, given=lambda c: {
        k: v for k, v in stored({c_: Q3[c_] for c_ in CODES[:3]}).items() if k[1] == "smd_managed"}),
    "misspelt_header_with_figures": Case(misspelt_header_with_figures, False, [("ingest.err.missing_column", "2")]),
    "numbers_with_units": Case(numbers_with_units, True, given=lambda c: stored(Q3)),
    "name_column_without_header": Case(name_column_without_header, True, given=lambda c: stored(Q3)),
    "county_code_total": Case(county_code_total, True, given=lambda c: stored(Q3)),
    "worked_on_a_copy": Case(worked_on_a_copy, True, given=lambda c: stored(Q3)),
    "last_years_workbook": Case(last_years_workbook, False, [("ingest.err.no_sheet_for_quarter", "")]),
    "total_first_and_footer": Case(total_first_and_footer, True, given=lambda c: stored(Q3)),
    "union_template": Case(union_template, True, given=union_given, department="union"),
    "union_own_sheet_with_quarter_and_ytd": Case(union_own_sheet_with_quarter_and_ytd, True, given=union_given,
                                                 department="union"),
    "justice_pasted_names": Case(justice_pasted_names, False, [("ingest.err.name_code_mismatch", f"B{r}")
                                                               for r in range(4, 17) if r != 10],
                                 department="justice"),
    "petition_dash": Case(petition_template, False, [("ingest.err.text_dash", "C10")], department="petition"),
    "zongzhi_formulas": Case(zongzhi_formulas, True, given=zongzhi_given, department="zongzhi"),
    "education_partial": Case(education_partial, True, department="education", given=lambda c: {
        "F00000200001": (1.0, 2.0, 1.0), "F00000200002": (0.0, 0.0, 0.0)}),
    "header_typed_over_another": Case(_with(set_cells(H3="建档人数")), False, [("ingest.err.header_instead_of", "H3")]),
    "duplicate_township": Case(_with(set_cells(A10=None, B10="北山")), False, [("ingest.err.duplicate_row", "B10")]),
}


def _name_over_two_columns(ctx: Ctx) -> bytes:
    """乡镇名称 merged over A:B (serial number in A, the name in B)."""
    def extra(ws: Any) -> None:
        ws.merge_cells("A2:B2")
    body = [[i + 1, t, *Q3[CODE_OF[t]]] for i, t in enumerate(TOWNS)]
    return own_workbook(["乡镇名称", None, *HEALTH_HEADER[2:]], body, extra=extra)


CASES["name_header_over_two_columns"] = Case(_name_over_two_columns, True, given=lambda c: stored(Q3))


def _summary_and_villages(ctx: Ctx) -> bytes:
    """汇总 (the townships) beside 明细 (villages, same columns): the townships' sheet is the one."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "明细"
    ws.append(["村（社区）", *HEALTH_HEADER[2:]])
    for i, v in enumerate(["张家村", "李庄村", "幸福社区", "王湾村"]):
        ws.append([v, 3 + i, 5 + i, 1, 2, 300, 900])
    summary = wb.create_sheet("汇总")
    summary.append(["乡镇", *HEALTH_HEADER[2:]])
    for row in body_by_name(Q3):
        summary.append(row)
    return save(wb)


CASES["summary_beside_village_details"] = Case(_summary_and_villages, True, given=lambda c: stored(Q3))
