"""A second, independent corpus of liaison files (issue #13's tester): made from the project's own
department templates -- so they follow the catalogue -- and then handled the way county offices
handle sheets, none of them the same file as in liaison_files.py: WPS copies, yearly workbooks whose
sheets are named every which way ("2026Q3", "7-9月", "三季度（修正）"), pasted township lists with codes
of their own, rows sorted, corrections of two rows, 无/—//、#N/A, "100%" in counts, rates typed as 56.3,
0.563 or "56.3%", merged headers, totals labelled 合计/全县/the county's name, footers, extra columns,
formulas with float noise, old .xls (with percent formats), hidden rows and columns, a transposed sheet.

Each case says what its liaison would expect: accepted with exactly these figures (read back from the
database), or refused at these cells. Health sheet layout: see liaison_files.py."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

import openpyxl

from liaison_files import (CODE_OF, CODES, HEALTH_HEADER, Q1, Q2, Q3, ROW, SHEET, TOWNS, Ctx, body_by_name, filled,
                           load, own_workbook, patch_cells, put_rows, q3_pasted_at, save, set_cells, stored)


@dataclass
class QaCase:
    make: Callable[[Ctx], bytes]
    accepted: bool
    errors: Any = field(default_factory=list)    # [(key, cell)] of every error in order, or ctx -> that list
    given: Callable[[Ctx], dict] | None = None                    # figures the file gives (accepted)
    warnings: list[tuple[str, str]] | None = None                # (key, cell) the liaison must be warned of
    department: str = "health"
    filename: str = "报表.xlsx"
    needs_soffice: bool = False
    why: str = ""


def _t(ctx: Ctx, department: str = "health", period: str = "2026Q3") -> bytes:
    return ctx.template(department=department, period=period)


def _edit(edit: Callable[[Any], None], rows: dict | None = None, department: str = "health"
          ) -> Callable[[Ctx], bytes]:
    """The health template filled with Q3 (or `rows`), then edited as the office did."""
    def make(ctx: Ctx) -> bytes:
        wb = load(filled(_t(ctx, department)) if department == "health" else _t(ctx, department))
        if department == "health" and rows is not None:
            wb = load(filled(_t(ctx), rows))
        edit(wb["数据"])
        return save(wb)
    return make


def q3_with(code: str, values: tuple) -> dict:
    return {**Q3, code: values}


def _zip_replace(data: bytes, member: str, change: Callable[[str], str], add: dict[str, str] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == member:
                body = change(body.decode()).encode()
            out.writestr(item, body)
        for name, text in (add or {}).items():
            out.writestr(name, text)
    return buf.getvalue()


# --- WPS copies ------------------------------------------------------------------------------------

_KSO = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/'
        'officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer">'
        '<vt:lpwstr>2052-12.1.0.16120</vt:lpwstr></property></Properties>')


def wps_inline_text_numbers(ctx: Ctx) -> bytes:
    """WPS with the figure cells formatted as text: every figure an inline string."""
    data = filled(_t(ctx))
    cells = {}
    for code, r in ROW.items():
        for k, col in enumerate("CDEFGH"):
            cells[f"{col}{r}"] = f'<c r="{col}{r}" t="inlineStr"><is><t>{Q3[code][k]}</t></is></c>'
    return _zip_replace(patch_cells(data, SHEET, cells), "docProps/app.xml",
                        lambda x: x.replace("openpyxl", "WPS 表格"), {"docProps/custom.xml": _KSO})


def wps_formula_text_results(ctx: Ctx) -> bytes:
    """WPS keeps =VALUE(...) / =TEXT(...) results as cached strings (t="str")."""
    cells = {f"D{r}": f'<c r="D{r}" t="str"><f>TEXT(Z{r},"0")</f><v>{Q3[code][1]}</v></c>' for code, r in ROW.items()}
    return patch_cells(filled(_t(ctx)), SHEET, cells)


# --- yearly workbooks ----------------------------------------------------------------------------

def _yearly(ctx: Ctx, names: list[str], data: list[dict | None], hidden: tuple[str, ...] = (),
            department: str = "health") -> bytes:
    wb = load(_t(ctx, department))
    base = wb["数据"]
    sheets = [base] + [wb.copy_worksheet(base) for _ in names[1:]]
    for ws, name, rows in zip(sheets, names, data):
        ws.title = name
        if rows:
            put_rows(ws, rows)
        if name in hidden:
            ws.sheet_state = "hidden"
    order = {name: i for i, name in enumerate(names)}
    wb._sheets.sort(key=lambda s: order.get(s.title, -1 if s.title == "填表说明" else 99))
    return save(wb)


def yearly_mixed_names(ctx: Ctx) -> bytes:
    """Three people kept the yearly workbook: "2026Q1", "4-6月", "三季度（修正）"."""
    return _yearly(ctx, ["2026Q1", "4-6月", "三季度（修正）"], [Q1, Q2, Q3])


def yearly_q4_blank_first(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["2026Q4", "2026Q3", "2026Q2"], [None, Q3, Q2])


def yearly_month_ranges_spelt(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["1月-3月", "4月—6月", "7月至9月"], [Q1, Q2, Q3])


def q3_and_its_correction(ctx: Ctx) -> bytes:
    """三季度 and 三季度（修正） both filled: which one is meant is not written anywhere."""
    return _yearly(ctx, ["二季度", "三季度", "三季度（修正）"], [Q2, Q2, Q3])


def correction_sheet_original_hidden(ctx: Ctx) -> bytes:
    """The first 三季度 put away (hidden), 三季度（修正） the one the liaison sees and sends."""
    return _yearly(ctx, ["三季度", "三季度（修正）"], [Q2, Q3], hidden=("三季度",))


def only_q2_sheet(ctx: Ctx) -> bytes:
    return _yearly(ctx, ["2026Q2"], [Q2])


def yearly_title_ytd(ctx: Ctx) -> bytes:
    """Sheet1/Sheet2: the titles say 1-6月 and 1-9月 (year to date, as statistics offices title)."""
    wb = load(_yearly(ctx, ["Sheet1", "Sheet2"], [Q2, Q3]))
    wb["Sheet1"]["A1"] = "和安县2026年1-6月严重精神障碍患者管理情况"
    wb["Sheet2"]["A1"] = "和安县2026年1-9月严重精神障碍患者管理情况"
    return save(wb)


# --- pasted own lists, sorted rows ---------------------------------------------------------------

def own_codes_in_pinyin_order(ctx: Ctx) -> bytes:
    """The office's own list: its own unit codes (HA01...), names right, sorted by pinyin."""
    order = sorted(TOWNS, key=lambda t: t.encode("gbk"))
    body = [[f"HA{i + 1:02d}", t, *Q3[CODE_OF[t]]] for i, t in enumerate(order)]
    return own_workbook(["单位代码", "单位名称", *HEALTH_HEADER[2:]], body)


def codes_shifted_by_an_inserted_row(ctx: Ctx) -> bytes:
    """A row inserted at the top of the template's code column only: every code one row down."""
    wb = load(filled(_t(ctx)))
    ws = wb["数据"]
    for r in range(16, 3, -1):
        ws.cell(r + 1, 1).value = ws.cell(r, 1).value
    ws.cell(4, 1).value = None
    return save(wb)


def whole_rows_sorted_by_figure(ctx: Ctx) -> bytes:
    """Sorted by 在册患者数 with every column selected: codes move with their rows."""
    wb = load(filled(_t(ctx)))
    ws = wb["数据"]
    rows = sorted(([ws.cell(r, c).value for c in range(1, 9)] for r in range(4, 17)), key=lambda v: -v[3])
    for r, values in enumerate(rows, start=4):
        for c, v in enumerate(values, start=1):
            ws.cell(r, c).value = v
    return save(wb)


def twelve_digit_codes_sorted(ctx: Ctx) -> bytes:
    """12-digit statistical codes, names and figures sorted together by name."""
    order = sorted(TOWNS, key=lambda t: t.encode("gbk"))
    body = [[f"{CODE_OF[t]}000", t, *Q3[CODE_OF[t]]] for t in order]
    return own_workbook(["统计用区划代码", "名称", *HEALTH_HEADER[2:]], body)


def pasted_names_one_township_missing(ctx: Ctx) -> bytes:
    """Codes deleted, the bureau's own list of twelve townships pasted (no 开发区): twelve rows given."""
    wb = load(_t(ctx))
    ws = wb["数据"]
    for r in range(4, 17):
        for c in range(1, 9):
            ws.cell(r, c).value = None
    for r, t in enumerate(reversed(TOWNS[:-1]), start=4):
        ws.cell(r, 2).value = t
        for k, v in enumerate(Q3[CODE_OF[t]]):
            ws.cell(r, 3 + k).value = v
    return save(wb)


def spaced_and_traditional_names(ctx: Ctx) -> bytes:
    body = body_by_name(Q3, names=lambda t: {"北山乡": "北 山 鄉", "黄岭乡": "黃嶺鄉", "城关镇": "城关镇 ",
                                             "凤鸣镇": "鳳鳴鎮"}.get(t, t))
    return own_workbook(["乡镇", *HEALTH_HEADER[2:]], body)


# --- corrections -----------------------------------------------------------------------------------

FIX2 = {CODES[6]: (41, 52, 16, 36, 4050, 9070), CODES[9]: (39, 54, 19, 39, 4063, 9099)}


def correction_own_two_rows(ctx: Ctx) -> bytes:
    return own_workbook(["乡镇（街道）名称", *HEALTH_HEADER[2:]], body_by_name(FIX2, order=[TOWNS[6], TOWNS[9]]),
                        title="更正：东城街道、白塔镇数据")


def correction_two_rows_rest_zeroed_by_formula(ctx: Ctx) -> bytes:
    """Template with two rows typed; the other rows' cells hold =IFERROR(...,"") saved as empty."""
    data = filled(_t(ctx), FIX2)
    cells = {}
    for code, r in ROW.items():
        if code in FIX2:
            continue
        for col in "CDEFGH":
            cells[f"{col}{r}"] = f'<c r="{col}{r}" t="str"><f>IFERROR(1/0,"")</f><v></v></c>'
    return patch_cells(data, SHEET, cells)


# --- words, marks and errors where figures belong ---------------------------------------------------

def fullwidth_slash_and_zanwu(ctx: Ctx) -> bytes:
    return _edit(set_cells(C6="／", D8="暂无", E10="--"))(ctx)


def na_typed_in_justice(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 3).value, ws.cell(r, 4).value = 5 + r, 10 + r
        ws["C9"] = "#N/A"
        ws["D12"] = "无"
    return _edit(edit, department="justice")(ctx)


def wu_in_petition_count(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 3).value = r
        ws["C5"] = "无"
        ws["C8"] = 0
    return _edit(edit, department="petition")(ctx)


def fullwidth_percent_in_count(ctx: Ctx) -> bytes:
    return _edit(set_cells(D11="１００％"))(ctx)


def rate_typed_in_a_count_cell(ctx: Ctx) -> bytes:
    return _edit(set_cells(C12="56.3%"))(ctx)


def date_in_a_count_cell(ctx: Ctx) -> bytes:
    """"9/10" typed for 9 of 10: Excel turns it into a date."""
    import datetime as dt

    def edit(ws: Any) -> None:
        ws["E9"] = dt.datetime(2026, 9, 10)
        ws["E9"].number_format = "m/d"
    return _edit(edit)(ctx)


def wan_in_a_count(ctx: Ctx) -> bytes:
    """1.2万 people served."""
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 3).value, ws.cell(r, 4).value, ws.cell(r, 5).value = 100 + r, 8, 10
        ws["C6"] = "1.2万"
    return _edit(edit, department="zongzhi")(ctx)


def non_integer_count(ctx: Ctx) -> bytes:
    """=G/2 saved as 2002.5: a real fraction, not floating noise."""
    return patch_cells(filled(_t(ctx), q3_with(CODES[0], (*Q3[CODES[0]][:4], None, Q3[CODES[0]][5]))), SHEET, {
        "G4": '<c r="G4"><f>4005/2</f><v>2002.5</v></c>'})


def formula_noise_in_denominators(ctx: Ctx) -> bytes:
    """=SUM of the office's monthly columns saved as 44.999999999999993 / 9011.0000000000018."""
    cells = {}
    for code, r in ROW.items():
        cells[f"D{r}"] = f'<c r="D{r}"><f>SUM(X{r}:Z{r})</f><v>{Q3[code][1] - 7e-15}</v></c>'
        cells[f"H{r}"] = f'<c r="H{r}"><f>ROUND(Y{r}*1.1,0)</f><v>{Q3[code][5] + 1.8e-12}</v></c>'
    return patch_cells(filled(_t(ctx)), SHEET, cells)


# --- rates typed in a rate column --------------------------------------------------------------

JUSTICE_DEN = {code: 200 + 100 * i for i, code in enumerate(CODES)}   # 200, 300, ... 1400


def _justice_rates(rate_of: Callable[[str, int], Any], header: str = "特殊人群个性化心理疏导率") -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        header_row = ["乡镇（街道）名称", "特殊人群总数", header]
        body = [[t, JUSTICE_DEN[CODE_OF[t]], rate_of(CODE_OF[t], i)] for i, t in enumerate(TOWNS)]
        return own_workbook(header_row, body, title="和安县2026年第三季度特殊人群个性化心理疏导情况")
    return make


def _justice_num(code: str) -> int:
    """A numerator whose rate has a short decimal: den 200..1400 by 100, num = 0.55 * den + a bit."""
    return int(JUSTICE_DEN[code] * 0.55) + 1


def _rate_forms(code: str, i: int) -> Any:
    """Exact rates typed three ways down one column: 56.5 / 0.565 / "56.5%"."""
    rate = _justice_num(code) / JUSTICE_DEN[code]
    pct = round(rate * 100, 4)
    return (pct, rate, f"{pct:g}%")[i % 3]


def justice_rates_given(ctx: Ctx) -> dict:
    return {(c, "special_counselling"): (float(_justice_num(c)), float(JUSTICE_DEN[c])) for c in CODES}


def justice_rate_one_decimal_on_small_den(ctx: Ctx) -> bytes:
    """56.3% of 200 people: no whole number of people is 56.3% of 200 (112 is 56.0%, 113 is 56.5%)."""
    def rate(code: str, i: int) -> Any:
        return "56.3%" if code == CODES[0] else _rate_forms(code, i)
    return _justice_rates(rate)(ctx)


def rate_column_beside_num_den(ctx: Ctx) -> bytes:
    """The office's own 规范管理率 column beside the template's figures, typed 56.3 / 0.563 / "56.3%"
    (rounded: only compared)."""
    def edit(ws: Any) -> None:
        ws.cell(3, 9).value = "规范管理率（%）"
        for i, (code, r) in enumerate(ROW.items()):
            rate = Q3[code][0] / Q3[code][1]
            ws.cell(r, 9).value = (round(rate * 100, 1), round(rate, 3), f"{rate * 100:.1f}%")[i % 3]
    return _edit(edit)(ctx)


PROP = {code: (300 + 10 * i, 400 + 10 * i, 500, 1000) for i, code in enumerate(CODES)}


def propaganda_rate_and_respondents(ctx: Ctx) -> bytes:
    """知晓率 and 受访人数 only (the survey company's report), rates with one decimal on 1,000."""
    header = ["乡镇", "城镇受访人数", "城市普通人群心理健康核心知识知晓率", "农村受访人数", "农村普通人群心理健康核心知识知晓率"]
    body = [[t, PROP[CODE_OF[t]][1], f"{100 * PROP[CODE_OF[t]][0] / PROP[CODE_OF[t]][1]:.1f}%", 1000, 50.0]
            for t in TOWNS]
    return own_workbook(header, body, title="2026年第三季度心理健康核心知识知晓率调查")


def propaganda_given(ctx: Ctx) -> dict:
    out = {}
    for code, (un, ud, rn, rd) in PROP.items():
        out[(code, "awareness_urban")] = (float(round(ud * round(100 * un / ud, 1) / 100)), float(ud))
        out[(code, "awareness_rural")] = (500.0, 1000.0)
    return out


def rate_column_in_percent_units_small_value(ctx: Ctx) -> bytes:
    """A 疏导率（%） column typed in percent: 0.9 there is 0.9 %, not 90 %."""
    def rate(code: str, i: int) -> Any:
        return 0.9 if code == CODES[5] else round(100 * _justice_num(code) / JUSTICE_DEN[code], 4)
    return _justice_rates(rate, header="特殊人群个性化心理疏导率（%）")(ctx)


# --- merged headers, totals, footers, extra columns ------------------------------------------

def three_row_merged_header(ctx: Ctx) -> bytes:
    """Title, a group row merged over each indicator's two columns, the labels, a units row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["和安县2026年第三季度精神卫生工作统计表"])
    ws.append(["乡镇（街道）", "严重精神障碍患者", None, "居家患者社区康复", None, "心理健康档案", None])
    ws.append([None, "规范管理患者数", "在册患者数", "参加社区康复人数", "居家患者数", "建档人数", "常住人口"])
    ws.append([None, "（人）", "（人）", "（人）", "（人）", "（人）", "（人）"])
    for row in body_by_name(Q3):
        ws.append(row)
    ws.merge_cells("A1:G1")
    ws.merge_cells("A2:A4")
    for c in ("B2:C2", "D2:E2", "F2:G2"):
        ws.merge_cells(c)
    return save(wb)


def merged_name_cells_over_two_rows(ctx: Ctx) -> bytes:
    """城关镇 written in a cell merged over two rows (城区, 农村) each with figures: two rows, one place."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["乡镇", "片区", *HEALTH_HEADER[2:]])
    for t in TOWNS:
        if t == "城关镇":
            v = Q3[CODE_OF[t]]
            ws.append([t, "城区", *(x // 2 for x in v)])
            ws.append([None, "农村", *(x - x // 2 for x in v)])
        else:
            ws.append([t, None, *Q3[CODE_OF[t]]])
    r = 2 + TOWNS.index("城关镇")
    ws.merge_cells(start_row=r, start_column=1, end_row=r + 1, end_column=1)
    return save(wb)


def totals_everywhere(ctx: Ctx) -> bytes:
    """合计 first, 街道小计 after the two 街道, 和安县合计 and 全县 at the bottom."""
    body = [["合计", *[sum(v[k] for v in Q3.values()) for k in range(6)]]]
    for t in TOWNS:
        body.append([t, *Q3[CODE_OF[t]]])
        if t == "东城街道":
            body.append(["街道小计", *[Q3[CODE_OF["西城街道"]][k] + Q3[CODE_OF["东城街道"]][k] for k in range(6)]])
    body.append(["和安县合计", *[sum(v[k] for v in Q3.values()) for k in range(6)]])
    body.append(["全 县", *[sum(v[k] for v in Q3.values()) for k in range(6)]])
    return own_workbook(["地区", *HEALTH_HEADER[2:]], body)


def county_name_total_in_template(ctx: Ctx) -> bytes:
    """The template with 和安县 typed in the first blank row under it, its code left empty."""
    def edit(ws: Any) -> None:
        ws["B17"] = "和安县"
        for k in range(6):
            ws.cell(17, 3 + k).value = sum(v[k] for v in Q3.values())
    return _edit(edit)(ctx)


def county_level_units_row(ctx: Ctx) -> bytes:
    """县直单位 with figures: no township of the county; its figures have no place to go."""
    body = body_by_name(Q3) + [["县直单位", 3, 4, 1, 2, 100, 300]]
    return own_workbook(["乡镇", *HEALTH_HEADER[2:]], body)


def footers_signatures_dates(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        ws["A18"] = "填报人：李明"
        ws["D18"] = "审核人：王强"
        ws["G18"] = "报送日期：2026.10.8"
        ws["A19"] = "备注：东城街道含新迁入患者3人。"
        ws["A20"] = "（单位盖章）"
    return _edit(edit)(ctx)


def extra_columns_everywhere(ctx: Ctx) -> bytes:
    """序号 in front, 备注 and 同比增减 at the end, 上季度在册患者数 in the middle."""
    header = ["序号", "乡镇（街道）名称", "规范管理患者数", "上季度在册患者数", "在册患者数", "参加社区康复人数", "居家患者数",
              "建档人数", "常住人口", "同比增减（%）", "备注"]
    body = [[i + 1, t, v[0], v[1] - 2, *v[1:], 3.5, "含新增" if i == 2 else None]
            for i, (t, v) in enumerate((t, Q3[CODE_OF[t]]) for t in TOWNS)]
    return own_workbook(header, body)


# --- old .xls ----------------------------------------------------------------------------------

def xls_percent_format_in_a_count(ctx: Ctx) -> bytes:
    """"100%" typed into a count cell, then saved as .xls: BIFF stores 1 with a percent format."""
    wb = load(filled(_t(ctx)))
    wb["数据"]["E12"] = 1
    wb["数据"]["E12"].number_format = "0%"
    return ctx.to_xls(save(wb), "xls")


def xls_rate_column_percent_format(ctx: Ctx) -> bytes:
    """An .xls with the office's rate column as 0.0% (exact figures beside it): accepted."""
    wb = load(filled(_t(ctx)))
    ws = wb["数据"]
    ws.cell(3, 9).value = "严重精神障碍患者规范管理率"
    for code, r in ROW.items():
        ws.cell(r, 9).value = Q3[code][0] / Q3[code][1]
        ws.cell(r, 9).number_format = "0.0%"
    return ctx.to_xls(save(wb), "xls")


def xls_own_sheet_with_text_numbers(ctx: Ctx) -> bytes:
    body = [[t, *(str(x) for x in Q3[CODE_OF[t]])] for t in TOWNS]
    return ctx.to_xls(own_workbook(["乡镇名称", *HEALTH_HEADER[2:]], body, title="2026年第三季度"), "xls")


def xls_correction_two_rows(ctx: Ctx) -> bytes:
    return ctx.to_xls(correction_own_two_rows(ctx), "xls")


def html_saved_as_xls(ctx: Ctx) -> bytes:
    """A system export: an HTML table named 报表.xls."""
    rows = "".join(f"<tr><td>{t}</td>" + "".join(f"<td>{x}</td>" for x in Q3[CODE_OF[t]]) + "</tr>" for t in TOWNS)
    return ("<html><head><meta charset='utf-8'></head><body><table><tr>" + "".join(
        f"<th>{h}</th>" for h in HEALTH_HEADER[1:]) + f"</tr>{rows}</table></body></html>").encode()


# --- hidden rows and columns, transposed ---------------------------------------------------------

def hidden_old_row_and_new_row(ctx: Ctx) -> bytes:
    """北山乡's row hidden (the figures as first typed), the corrected 北山乡 added at the end."""
    def edit(ws: Any) -> None:
        ws.row_dimensions[4].hidden = True
        ws["B17"] = "北山乡"
        for k, v in enumerate(FIX2[CODES[6]]):
            ws.cell(17, 3 + k).value = v
    return _edit(edit)(ctx)


def hidden_last_quarter_column(ctx: Ctx) -> bytes:
    """Last quarter's 在册患者数 kept in a hidden column of the same header next to this quarter's."""
    header = ["乡镇（街道）名称", "规范管理患者数", "在册患者数", "在册患者数", "参加社区康复人数", "居家患者数", "建档人数",
              "常住人口"]
    body = [[t, v[0], q2[1], *v[1:]] for t, v, q2 in ((t, Q3[CODE_OF[t]], Q2[CODE_OF[t]]) for t in TOWNS)]

    def extra(ws: Any) -> None:
        ws.column_dimensions["C"].hidden = True
    return own_workbook(header, body, extra=extra)


def hidden_helper_columns_with_figures(ctx: Ctx) -> bytes:
    """Hidden helper columns (月度) to the right with numbers under unknown headers: ignored."""
    def edit(ws: Any) -> None:
        for k, label in enumerate(("7月", "8月", "9月")):
            ws.cell(3, 10 + k).value = label
            ws.column_dimensions["JKL"[k]].hidden = True
            for r in range(4, 17):
                ws.cell(r, 10 + k).value = 10 + r + k
    return _edit(edit)(ctx)


def transposed_sheet(ctx: Ctx) -> bytes:
    """Townships across, indicators down (copied with 选择性粘贴→转置)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["和安县2026年第三季度严重精神障碍患者管理情况"])
    ws.append(["项目", *TOWNS])
    for k, label in enumerate(HEALTH_HEADER[2:]):
        ws.append([label, *(Q3[CODE_OF[t]][k] for t in TOWNS)])
    return save(wb)


# --- other departments ---------------------------------------------------------------------------

def education_names_only_yes_no_words(ctx: Ctx) -> bytes:
    """School names only (codes deleted), 有/无 for the room, √ and 0."""
    wb = load(_t(ctx, "education"))
    ws = wb["数据"]
    ws["A4"], ws["D4"], ws["E4"], ws["F4"] = None, "有", 1, 0
    ws["A5"], ws["D5"], ws["E5"], ws["F5"] = None, "无", 0, 0
    ws["A6"], ws["D6"], ws["E6"], ws["F6"] = None, "√", 0, 2
    return save(wb)


def education_given(ctx: Ctx) -> dict:
    ws = load(_t(ctx, "education"))["数据"]
    codes = [ws[f"A{r}"].value for r in (4, 5, 6)]   # the schools of the template's first rows
    return dict(zip(codes, [(1.0, 1.0, 0.0), (0.0, 0.0, 0.0), (1.0, 0.0, 2.0)]))


def union_short_headers(ctx: Ctx) -> bytes:
    header = ["乡镇", "持证心理咨询师和家庭教育指导师人数", "心理健康讲座和团体辅导场次（年度累计）", "备注"]
    return own_workbook(header, [[t, 20 + i, 3 + i % 4, None] for i, t in enumerate(TOWNS)],
                        title="总工会2026年三季度“两个一百”工作进展")


def union_given(ctx: Ctx) -> dict:
    return {**{(c, "certified_counsellors"): (float(20 + i),) for i, c in enumerate(CODES)},
            **{(c, "outreach_sessions"): (float(3 + i % 4),) for i, c in enumerate(CODES)}}


def zongzhi_sorted_with_subtotal(ctx: Ctx) -> bytes:
    body = []
    for i, t in enumerate(sorted(TOWNS, key=lambda t: t.encode("gbk"))):
        body.append([t, 100 + i, 10, 9])
    body.append(["合计", sum(100 + i for i in range(13)), 130, 117])
    return own_workbook(["乡镇", "心理服务人次", "调解矛盾纠纷件数", "调解成功件数"], body,
                        title="县综治中心2026年第三季度心理服务和矛盾纠纷调解情况")


def zongzhi_given(ctx: Ctx) -> dict:
    order = sorted(TOWNS, key=lambda t: t.encode("gbk"))
    return {**{(CODE_OF[t], "people_served"): (float(100 + i),) for i, t in enumerate(order)},
            **{(c, "mediation_success"): (9.0, 10.0) for c in CODES}}


def petition_wps_copy_sheet(ctx: Ctx) -> bytes:
    """数据 blank and 数据(2) filled, in the petition template."""
    return _yearly(ctx, ["数据", "数据 (2)"], [None, None], department="petition")


def petition_copy_filled(ctx: Ctx) -> bytes:
    wb = load(petition_wps_copy_sheet(ctx))
    ws = wb["数据 (2)"]
    for r in range(4, 17):
        ws.cell(r, 3).value = r - 3
    return save(wb)


def petition_given(ctx: Ctx) -> dict:
    return {(c, "petitions"): (float(i + 1),) for i, c in enumerate(CODES)}


CASES: dict[str, QaCase] = {
    # WPS copies
    "wps_inline_text_numbers": QaCase(wps_inline_text_numbers, True, given=lambda c: stored(Q3)),
    "wps_formula_text_results": QaCase(wps_formula_text_results, True, given=lambda c: stored(Q3)),
    # Yearly workbooks
    "yearly_mixed_names": QaCase(yearly_mixed_names, True, given=lambda c: stored(Q3)),
    "yearly_q4_blank_first": QaCase(yearly_q4_blank_first, True, given=lambda c: stored(Q3)),
    "yearly_month_ranges_spelt": QaCase(yearly_month_ranges_spelt, True, given=lambda c: stored(Q3)),
    "q3_and_its_correction": QaCase(q3_and_its_correction, False, [("ingest.err.several_sheets", "")]),
    "correction_sheet_original_hidden": QaCase(correction_sheet_original_hidden, True, given=lambda c: stored(Q3)),
    "only_q2_sheet": QaCase(only_q2_sheet, False, [("ingest.err.wrong_quarter", "")]),
    "yearly_title_ytd": QaCase(yearly_title_ytd, True, given=lambda c: stored(Q3)),
    # Pasted lists, sorted rows
    "own_codes_in_pinyin_order": QaCase(own_codes_in_pinyin_order, True, given=lambda c: stored(Q3)),
    "codes_shifted_by_an_inserted_row": QaCase(codes_shifted_by_an_inserted_row, False, [
        ("ingest.err.name_code_mismatch", f"B{r}") for r in range(5, 17)]),
    "whole_rows_sorted_by_figure": QaCase(whole_rows_sorted_by_figure, True, given=lambda c: stored(Q3)),
    "twelve_digit_codes_sorted": QaCase(twelve_digit_codes_sorted, True, given=lambda c: stored(Q3)),
    "pasted_names_one_township_missing": QaCase(pasted_names_one_township_missing, True,
                                                given=lambda c: stored({k: Q3[k] for k in CODES[:-1]}),
                                                warnings=[("ingest.warn.rows_not_in_file", "")]),
    "spaced_and_traditional_names": QaCase(spaced_and_traditional_names, True, given=lambda c: stored(Q3)),
    # Corrections
    "correction_own_two_rows": QaCase(correction_own_two_rows, True, given=lambda c: stored(FIX2),
                                      warnings=[("ingest.warn.rows_not_in_file", "")]),
    "correction_rest_iferror_blank": QaCase(correction_two_rows_rest_zeroed_by_formula, True,
                                            given=lambda c: stored(FIX2)),
    # Words, marks, errors
    "fullwidth_slash_and_zanwu": QaCase(fullwidth_slash_and_zanwu, False, [
        ("ingest.err.text_dash", "C6"), ("ingest.err.text_dash", "D8"), ("ingest.err.text_dash", "E10")]),
    "na_typed_in_justice": QaCase(na_typed_in_justice, False, [("ingest.err.excel_na", "C9"),
                                                               ("ingest.err.text_none", "D12")], department="justice"),
    "wu_in_petition_count": QaCase(wu_in_petition_count, False, [("ingest.err.text_none", "C5")],
                                   department="petition"),
    "fullwidth_percent_in_count": QaCase(fullwidth_percent_in_count, False, [("ingest.err.percent_in_count", "D11")]),
    "rate_typed_in_a_count_cell": QaCase(rate_typed_in_a_count_cell, False, [("ingest.err.percent_in_count", "C12")]),
    "date_in_a_count_cell": QaCase(date_in_a_count_cell, False, [("ingest.err.not_number", "E9")]),
    "wan_in_a_count": QaCase(wan_in_a_count, False, [("ingest.err.not_number", "C6")], department="zongzhi"),
    "non_integer_count": QaCase(non_integer_count, False, [("ingest.err.not_whole", "G4")]),
    "formula_noise_in_denominators": QaCase(formula_noise_in_denominators, True, given=lambda c: stored(Q3),
                                            warnings=[]),
    # Rates typed in rate columns
    "rate_forms_with_denominator": QaCase(_justice_rates(_rate_forms), True, given=justice_rates_given,
                                          department="justice"),
    "rate_one_decimal_on_small_den": QaCase(justice_rate_one_decimal_on_small_den, False, [
        ("ingest.err.rate_not_count", "C3")], department="justice"),
    "rate_column_beside_num_den": QaCase(rate_column_beside_num_den, True, given=lambda c: stored(Q3)),
    "propaganda_rate_and_respondents": QaCase(propaganda_rate_and_respondents, True, given=propaganda_given,
                                              department="propaganda"),
    # 0.9 under a header in % is 0.9 %: 6 of 700 (0.857 %, shown 0.9 %), not 630 -- and far from last quarter.
    "rate_percent_units_small_value": QaCase(rate_column_in_percent_units_small_value, True, given=lambda c: {
        **justice_rates_given(c), (CODES[5], "special_counselling"): (6.0, float(JUSTICE_DEN[CODES[5]]))},
        warnings=[("ingest.warn.jump", "C8")], department="justice"),
    # Merged headers, totals, footers, extra columns
    "three_row_merged_header": QaCase(three_row_merged_header, True, given=lambda c: stored(Q3)),
    "merged_name_over_two_rows": QaCase(merged_name_cells_over_two_rows, False, [
        ("ingest.err.duplicate_row", "A8")]),
    "totals_everywhere": QaCase(totals_everywhere, True, given=lambda c: stored(Q3)),
    "county_name_total_in_template": QaCase(county_name_total_in_template, True, given=lambda c: stored(Q3)),
    "county_level_units_row": QaCase(county_level_units_row, False, [("ingest.err.unknown_region", "A16")]),
    "footers_signatures_dates": QaCase(footers_signatures_dates, True, given=lambda c: stored(Q3)),
    "extra_columns_everywhere": QaCase(extra_columns_everywhere, True, given=lambda c: stored(Q3)),
    # Old .xls
    "xls_percent_format_in_a_count": QaCase(xls_percent_format_in_a_count, False, [
        ("ingest.err.percent_in_count", "E12")], filename="报表.xls", needs_soffice=True),
    "xls_rate_column_percent_format": QaCase(xls_rate_column_percent_format, True, given=lambda c: stored(Q3),
                                             filename="报表.xls", needs_soffice=True),
    "xls_own_sheet_text_numbers": QaCase(xls_own_sheet_with_text_numbers, True, given=lambda c: stored(Q3),
                                         filename="报表.xls", needs_soffice=True),
    "xls_correction_two_rows": QaCase(xls_correction_two_rows, True, given=lambda c: stored(FIX2),
                                      filename="更正.xls", needs_soffice=True),
    "html_saved_as_xls": QaCase(html_saved_as_xls, False, [("ingest.err.not_excel", "")], filename="报表.xls"),
    # Hidden rows and columns, transposed
    "hidden_old_row_and_new_row": QaCase(hidden_old_row_and_new_row, False, [("ingest.err.duplicate_row_hidden", "B17")]),
    "hidden_last_quarter_column": QaCase(hidden_last_quarter_column, True, given=lambda c: stored(Q3)),
    "hidden_helper_columns": QaCase(hidden_helper_columns_with_figures, True, given=lambda c: stored(Q3)),
    "transposed_sheet": QaCase(transposed_sheet, False, [("ingest.err.transposed", "A3")]),
    # Other departments
    # 北山中学 says 否 where the registry has its room: accepted, and the liaison is warned.
    "education_names_only": QaCase(education_names_only_yes_no_words, True, given=education_given,
                                   warnings=[("ingest.warn.rows_not_in_file", ""), ("ingest.warn.registry_mismatch", "D5")],
                                   department="education"),
    "union_short_headers": QaCase(union_short_headers, True, given=union_given, department="union"),
    "zongzhi_sorted_with_total": QaCase(zongzhi_sorted_with_subtotal, True, given=zongzhi_given, department="zongzhi"),
    "petition_wps_copy_filled": QaCase(petition_copy_filled, True, given=petition_given, department="petition"),
}


# --- (second round) -------------------------------------------------------------------------------

def last_quarter_template_retitled(ctx: Ctx) -> bytes:
    """Last quarter's template, its title changed to this quarter by hand, this quarter's figures."""
    wb = load(filled(_t(ctx, period="2026Q2")))
    wb["数据"]["A1"] = "县卫生健康委员会 2026Q3 季度报送表"
    return save(wb)


def only_a_county_total(ctx: Ctx) -> bytes:
    """The county's total in one row, no township."""
    return own_workbook(["地区", *HEALTH_HEADER[2:]], [["全县", *[sum(v[k] for v in Q3.values()) for k in range(6)]]])


def names_with_bracketed_notes(ctx: Ctx) -> bytes:
    body = body_by_name(Q3, names=lambda t: {"北山乡": "北山乡（含原东风乡）", "城关镇": "城关镇(城区)"}.get(t, t))
    return own_workbook(["乡镇", *HEALTH_HEADER[2:]], body)


def code_and_name_in_one_cell(ctx: Ctx) -> bytes:
    body = [[f"{CODE_OF[t]} {t}", *Q3[CODE_OF[t]]] for t in TOWNS]
    return own_workbook(["乡镇", *HEALTH_HEADER[2:]], body)


def wps_copy_sheet_names_q3_twice(ctx: Ctx) -> bytes:
    """第三季度 and its WPS copy 第三季度 (2), the copy being the one filled in."""
    return _yearly(ctx, ["第三季度", "第三季度 (2)"], [None, Q3])


def village_rows_under_townships(ctx: Ctx) -> bytes:
    """The township rows, each followed by its villages' rows (indented names) -- a detail list."""
    body = []
    for t in TOWNS:
        body.append([t, *Q3[CODE_OF[t]]])
        body.append([f"  其中：{t}张家村", 1, 2, 0, 1, 50, 100])
    return own_workbook(["乡镇", *HEALTH_HEADER[2:]], body)


def counts_typed_with_decimals(ctx: Ctx) -> bytes:
    def edit(ws: Any) -> None:
        for r in range(4, 17):
            ws.cell(r, 4).value = f"{ws.cell(r, 4).value}.0"
            ws.cell(r, 8).value = float(ws.cell(r, 8).value)
    return _edit(edit)(ctx)


CASES.update({
    "last_quarter_template_retitled": QaCase(last_quarter_template_retitled, False, [("ingest.err.meta_period", "B3")]),
    "only_a_county_total": QaCase(only_a_county_total, False, [("ingest.err.only_totals", "A3")]),
    "names_with_bracketed_notes": QaCase(names_with_bracketed_notes, True, given=lambda c: stored(Q3)),
    "code_and_name_in_one_cell": QaCase(code_and_name_in_one_cell, True, given=lambda c: stored(Q3)),
    "wps_copy_sheet_names_q3_twice": QaCase(wps_copy_sheet_names_q3_twice, True, given=lambda c: stored(Q3)),
    "village_rows_under_townships": QaCase(village_rows_under_townships, False, [
        ("ingest.err.unknown_region", f"A{r}") for r in range(4, 30, 2)]),
    "counts_typed_with_decimals": QaCase(counts_typed_with_decimals, True, given=lambda c: stored(Q3)),
})


def enumeration_comma_and_double_dash(ctx: Ctx) -> bytes:
    """、 and —— where a figure belongs (what some offices type for "none")."""
    return _edit(set_cells(E5="、", H13="——"))(ctx)


CASES["enumeration_comma_and_double_dash"] = QaCase(enumeration_comma_and_double_dash, False, [
    ("ingest.err.text_dash", "E5"), ("ingest.err.text_dash", "H13")])


CASES.update({
    "xls_hidden_last_quarter_column": QaCase(lambda c: c.to_xls(hidden_last_quarter_column(c), "xls"), True,
                                             given=lambda c: stored(Q3), filename="报表.xls", needs_soffice=True),
    "xls_merged_name_over_two_rows": QaCase(lambda c: c.to_xls(merged_name_cells_over_two_rows(c), "xls"), False,
                                            [("ingest.err.duplicate_row", "A8")], filename="报表.xls",
                                            needs_soffice=True),
    "xls_hidden_old_row_and_new_row": QaCase(lambda c: c.to_xls(hidden_old_row_and_new_row(c), "xls"), False,
                                             [("ingest.err.duplicate_row_hidden", "B17")], filename="报表.xls",
                                             needs_soffice=True),
})


def figures_pasted_one_row_high(ctx: Ctx) -> bytes:
    """The figures pasted from row 3 (over the column labels) instead of row 4."""
    return q3_pasted_at(ctx, 3, 3)


def figures_pasted_one_column_right(ctx: Ctx) -> bytes:
    """The figures pasted from column D instead of C: every figure under its neighbour's label."""
    return q3_pasted_at(ctx, 4, 4)


CASES.update({
    "figures_pasted_one_row_high": QaCase(figures_pasted_one_row_high, False, [("ingest.err.header_pasted_over", "C3")]),
    # Said at the two headers the shift shows at, not 13 times per row.
    "figures_pasted_one_column_right": QaCase(figures_pasted_one_column_right, False, [
        ("ingest.err.whole_column", "C3"), ("ingest.err.columns_swapped", "E3")]),
})


def union_quarter_only_sessions(ctx: Ctx) -> bytes:
    """Sessions of this quarter only, where the template asks for the year to date (年度累计)."""
    header = ["乡镇", "持证心理咨询师和家庭教育指导师人数", "心理健康讲座和团体辅导场次（本季度）"]
    return own_workbook(header, [[t, 20 + i, 1] for i, t in enumerate(TOWNS)], title="县总工会2026年第三季度报表")


def education_pasted_school_names(ctx: Ctx) -> bytes:
    """The bureau's own school list (sorted by name) pasted over the template's names; codes stay."""
    wb = load(_t(ctx, "education"))
    ws = wb["数据"]
    names = [ws.cell(r, 2).value for r in range(4, 4 + 38)]
    for r, name in enumerate(sorted(names, key=lambda n: n.encode("gbk")), start=4):
        ws.cell(r, 2).value = name
        ws.cell(r, 4).value, ws.cell(r, 5).value, ws.cell(r, 6).value = "是", 1, 1
    return save(wb)


def _education_mismatches(ctx: Ctx) -> list[tuple[str, str]]:
    ws = load(_t(ctx, "education"))["数据"]
    names = [ws.cell(r, 2).value for r in range(4, 4 + 38)]
    return [("ingest.err.name_code_mismatch", f"B{r}")
            for r, name in enumerate(sorted(names, key=lambda n: n.encode("gbk")), start=4) if name != names[r - 4]]


CASES.update({
    "education_pasted_school_names": QaCase(education_pasted_school_names, False, _education_mismatches,
                                            department="education"),
    "union_quarter_only_sessions": QaCase(union_quarter_only_sessions, False, [("ingest.err.other_period_figure", "C2")],
                                          department="union"),
})


def last_quarter_block_above(ctx: Ctx) -> bytes:
    """One sheet: last quarter's table (its own title and header) kept above this quarter's."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for title, rows in (("和安县2026年第二季度严重精神障碍患者管理情况", Q2), ("和安县2026年第三季度严重精神障碍患者管理情况", Q3)):
        ws.append([title])
        ws.append(["乡镇", *HEALTH_HEADER[2:]])
        for row in body_by_name(rows):
            ws.append(row)
        ws.append([])
    return save(wb)


# Refused as last quarter's (its title heads the sheet): nothing of either block is stored.
CASES["last_quarter_block_above"] = QaCase(last_quarter_block_above, False, [("ingest.err.wrong_quarter", "")])
