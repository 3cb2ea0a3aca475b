"""A corpus of hostile and damaged workbooks, generated (no committed binaries), and the helpers the
sandbox tests run in a child process (they must be importable by name there).

Each builder takes a good .xlsx (any workbook; the data sheet is the one named "数据" when there is
one, else the first sheet) and returns the hostile bytes. CORPUS maps a name to (builder, the error
key the reader must refuse it with). Used by tests/data_access/ingest/test_hostile.py, the browser
test and bench/bench_hostile.py.
"""
from __future__ import annotations

import io
import re
import struct
import time
import warnings
import zipfile
import zlib
from typing import Callable

GiB = 1024 ** 3


# --- zip surgery ---------------------------------------------------------------------------------

def members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def rezip(items: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in items:
            z.writestr(zipfile.ZipInfo(name, (2026, 9, 30, 0, 0, 0)), content, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def data_sheet(data: bytes, title: str = "数据") -> str:
    """The member name of the sheet called title (else of the first sheet)."""
    parts = dict(members(data))
    wb = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    sheets = re.findall(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', wb)
    rid = next((r for n, r in sheets if n == title), sheets[0][1])
    target = re.search(r'<Relationship\b[^>]*?Id="%s"[^>]*?Target="([^"]+)"' % rid, rels) or \
        re.search(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="%s"' % rid, rels)
    path = target.group(1)
    return path.lstrip("/") if path.startswith("/") else f"xl/{path}"


def edit_sheet(data: bytes, edit: Callable[[bytes], bytes], rename: str | None = None) -> bytes:
    sheet = data_sheet(data)
    return rezip([((rename or name) if name == sheet else name, edit(content) if name == sheet else content)
                  for name, content in members(data)])


def before_end_of_sheet_data(extra: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", extra + b"</sheetData>", 1)


def in_first_row(cell: bytes) -> Callable[[bytes], bytes]:
    """One more cell at the end of the sheet's first row: the rows that follow are ordinary, so a
    guard reading only the sheet's last rows (main's) does not see it."""
    return lambda xml: xml.replace(b"</row>", cell + b"</row>", 1)


def first_in_sheet_data(extra: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: re.sub(rb"<sheetData>", lambda m: m.group(0) + extra, xml, count=1)


def before_end_of_worksheet(extra: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</worksheet>", extra + b"</worksheet>", 1)


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand: (name, deflated bytes, declared CRC, declared compressed size,
    declared uncompressed size) per member -- whatever the declarations say."""
    out = io.BytesIO()
    central = []
    for name, raw, crc, csize, usize in entries:
        offset = out.tell()
        fname = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0800, 8, 0, 0x5B3E, crc, csize, usize, len(fname), 0))
        out.write(fname + raw)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x0800, 8, 0, 0x5B3E, crc, csize, usize,
                                   len(fname), 0, 0, 0, 0, 0, offset) + fname)
    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def deflate(*pieces: bytes | tuple[bytes, int]) -> tuple[bytes, int, int]:
    """(raw deflate stream, crc32, size) of the concatenated pieces; (chunk, n) repeats chunk n times.
    A repeated chunk is compressed once: after a full flush the compressor forgets its history, so
    the same input gives the same bytes, and n copies of them inflate to n copies of the chunk
    (1 GiB of data in milliseconds). The CRC is not computed for repeats (None)."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    out: list[bytes] = []
    crc: int | None = 0
    size = 0
    for piece in pieces:
        chunk, times = piece if isinstance(piece, tuple) else (piece, 1)
        if times == 0:
            continue
        if times == 1:
            out.append(comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH))
            crc = None if crc is None else zlib.crc32(chunk, crc)
        else:
            comp.flush(zlib.Z_FULL_FLUSH)
            block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
            out.append(block * times)
            crc = None
        size += len(chunk) * times
    out.append(comp.flush())
    return b"".join(out), crc if crc is not None else 0, size


def lying_zip(good: bytes, real_size: int = GiB, declared: int = 64 * 1024) -> bytes:
    """The data sheet's directory entry declares `declared` bytes (and the CRC of its first
    `declared` bytes, so zipfile's own read is satisfied); its data inflates to real_size."""
    sheet = data_sheet(good)
    entries = []
    for name, content in members(good):
        if name == sheet:
            head, tail = content.split(b"</worksheet>", 1)
            pad = real_size - len(content)
            block = b" " * (1024 * 1024)
            pieces = [head, (block, pad // len(block)), b" " * (pad % len(block)), b"</worksheet>" + tail]
            raw, _, size = deflate(*pieces)
            first = (head + b" " * declared)[:declared]
            entries.append((name, raw, zlib.crc32(first), len(raw), declared))
        else:
            raw, crc, size = deflate(content)
            entries.append((name, raw, crc, len(raw), size))
    return raw_zip(entries)


def shapefile_bomb() -> bytes:
    """乡镇界.zip whose .shp inflates to 1 GiB of zeros (a 1 MB zip), declared honestly: what the old
    map-file reader kept inflating into the server process up to its 1 GiB ceiling."""
    block = b"\0" * (1024 * 1024)
    shp, _, size = deflate((block, 1024))
    dbf, dbf_crc, dbf_size = deflate(b"\x03" + b"\0" * 31)
    return raw_zip([("乡镇界.shp", shp, 0, len(shp), size), ("乡镇界.dbf", dbf, dbf_crc, len(dbf), dbf_size)])


# --- the corpus ------------------------------------------------------------------------------------

def far_cell(good: bytes) -> bytes:
    """The issue's 11 KB killer: one more cell at A4000000000 (~1 TB for a dense grid)."""
    return edit_sheet(good, in_first_row(b'<c r="A4000000000"><v>1</v></c>'))


def grid_corner(good: bytes) -> bytes:
    """A cell at GR1048576, inside Excel's own grid: 6.5 GB for calamine."""
    return edit_sheet(good, in_first_row(b'<c r="GR1048576"><v>1</v></c>'))


def far_cell_spaced(good: bytes) -> bytes:
    """The same cell with XML's other spellings of an attribute: spaces around =, single quotes."""
    return edit_sheet(good, in_first_row(b"<c r =\n'A4000000000' ><v>1</v></c>"))


def far_cell_lowercase(good: bytes) -> bytes:
    return edit_sheet(good, in_first_row(b'<c r="a4000000000"><v>1</v></c>'))


def far_cell_prefixed(good: bytes) -> bytes:
    """Elements with a namespace prefix (as the .NET Open XML SDK writes them)."""
    ns = b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return edit_sheet(good, lambda xml: in_first_row(b'<x:c r="A4000000000"><x:v>1</x:v></x:c>')(
        xml.replace(b"<worksheet ", b"<worksheet " + ns + b" ", 1)))


def far_cell_renamed_part(good: bytes) -> bytes:
    """The sheet part's name differs in case from what the relationships name (calamine finds it anyway)."""
    sheet = data_sheet(good)
    folder, _, leaf = sheet.rpartition("/")
    return edit_sheet(good, in_first_row(b'<c r="A4000000000"><v>1</v></c>'), rename=f"{folder}/{leaf.capitalize()}")


def far_row_without_cell_refs(good: bytes) -> bytes:
    """A cell without r sits in its row: <row r="4000000000"><c>, first in the sheet."""
    return edit_sheet(good, first_in_sheet_data(b'<row r="4000000000"><c><v>1</v></c></row>'))


def millions_of_empty_cells(good: bytes) -> bytes:
    """2,000,000 empty cells in one row, then a value at column 2,000,001. Each empty cell carries a
    varying style number, so the zip's compression ratio stays ordinary (plain <c/> repeated would
    already trip the ratio check)."""
    period = b"".join(b'<c s="%d"/>' % (i * 7919 % 1000) for i in range(5000))  # longer than deflate's window
    cells = period * 400
    return edit_sheet(good, before_end_of_sheet_data(b'<row r="60">' + cells + b"<c><v>1</v></c></row>"))


def huge_merge(good: bytes) -> bytes:
    """One merged range over the whole grid (openpyxl makes an object per merged cell)."""
    return edit_sheet(good, lambda xml: _add_merges(xml, [b"A40:XFD1048576"]))


def merged_area(good: bytes) -> bytes:
    """Merged ranges inside the limits, together covering 20 million cells."""
    return edit_sheet(good, lambda xml: _add_merges(xml, [b"A40:GR99999"]))


def _add_merges(xml: bytes, refs: list[bytes]) -> bytes:
    cells = b"".join(b'<mergeCell ref="%s"/>' % r for r in refs)
    if b"<mergeCells" in xml:
        return re.sub(rb"<mergeCells[^>]*>", lambda m: m.group(0) + cells, xml, count=1)
    return xml.replace(b"</sheetData>", b"</sheetData><mergeCells>" + cells + b"</mergeCells>", 1)


def dimension_lie(good: bytes) -> bytes:
    return edit_sheet(good, lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml))


def lying_zip_1gib(good: bytes) -> bytes:
    """The issue's zip: the directory declares 64 KiB, the data inflates to 1 GiB."""
    return lying_zip(good, GiB)


def lying_zip_small(good: bytes) -> bytes:
    """A smaller lie, under every ceiling: declared 64 KiB, really 900 KB."""
    return lying_zip(good, 900 * 1024)


def deep_nesting(good: bytes) -> bytes:
    """100,000 nested elements (numbered names: a plain repetition would already trip the ratio check)."""
    depth = 100_000
    opening = b"".join(b"<x%d>" % i for i in range(depth))
    closing = b"".join(b"</x%d>" % i for i in reversed(range(depth)))
    return edit_sheet(good, before_end_of_worksheet(b"<extLst>" + opening + closing + b"</extLst>"))


def entity_expansion(good: bytes) -> bytes:
    """Billion laughs, with the DOCTYPE after a 10 KB comment (past any look at the first bytes)."""
    lol = (b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' +
           b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(9)) + b"]>")

    def edit(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        body = body.replace(b"<v>", b"<v>&j;", 1)
        return b'<?xml version="1.0" encoding="UTF-8"?><!--' + b"x" * 10_000 + b"-->" + lol + body
    return edit_sheet(good, edit)


def damaged_xml(good: bytes) -> bytes:
    """The data sheet's XML cut in half (a copy interrupted mid-write)."""
    return edit_sheet(good, lambda xml: xml[: len(xml) // 2])


def truncated_zip(good: bytes) -> bytes:
    return good[: len(good) * 2 // 3]


def wrong_magic(good: bytes) -> bytes:
    """A PNG renamed .xlsx."""
    return b"\x89PNG\r\n\x1a\n" + good[8:]


def utf16_sheet(good: bytes) -> bytes:
    """The sheet re-encoded as UTF-16 (the byte scans of the guards would be blind to it)."""
    return edit_sheet(good, lambda xml: b"\xff\xfe" + xml.decode("utf-8").replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le"))


def duplicate_member(good: bytes) -> bytes:
    """Two entries of the same name: the guards would measure one, a reader might take the other."""
    sheet = data_sheet(good)
    items = members(good)
    hostile = in_first_row(b'<c r="A4000000000"><v>1</v></c>')(dict(items)[sheet])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": the point
        return rezip([(sheet, hostile)] + items)


def many_sheets(good: bytes) -> bytes:
    """5,000 sheets, all pointing at the same part (one part, so no member-count limit sees it)."""
    def edit_wb(xml: bytes) -> bytes:
        sheet = re.search(rb"<sheet\b[^>]*/>", xml).group(0)
        rid = re.search(rb'r:id="([^"]+)"', sheet).group(1)
        extra = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="%s" '
                         b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
                         % (i, 1000 + i, rid) for i in range(5000))
        return xml.replace(b"</sheets>", extra + b"</sheets>", 1)
    return rezip([(n, edit_wb(c) if n == "xl/workbook.xml" else c) for n, c in members(good)])


# --- old .xls: a minimal OLE2 compound file holding a BIFF8 workbook stream -----------------------

_ENDOFCHAIN, _FREESECT, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _rec(typ: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", typ, len(body)) + body


def _bof(dt: int) -> bytes:
    return _rec(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 0x06))


def biff8(cells: list[tuple[int, int, float]], dims: tuple[int, int, int, int] | None = None,
          name: str = "数据") -> bytes:
    """A workbook stream: globals (one XF, one BOUNDSHEET) and one sheet of NUMBER cells."""
    raw_name = name.encode("utf-16-le")

    def boundsheet(pos: int) -> bytes:
        return _rec(0x0085, struct.pack("<IBBBB", pos, 0, 0, len(name), 1) + raw_name)
    head = _bof(0x0005) + _rec(0x0042, struct.pack("<H", 1200)) + _rec(0x00E0, b"\0" * 20)
    end = _rec(0x000A)
    sheet_pos = len(head) + len(boundsheet(0)) + len(end)
    rows = max(r for r, _, _ in cells) + 1
    cols = max(c for _, c, _ in cells) + 1
    d = dims or (0, rows, 0, min(cols, 0xFFFF))
    sheet = _bof(0x0010) + _rec(0x0200, struct.pack("<IIHHH", d[0], d[1], d[2], d[3], 0))
    for r, c, v in cells:
        sheet += _rec(0x0203, struct.pack("<HHHd", r, c, 0, v))
    return head + boundsheet(sheet_pos) + end + sheet + end


def cfb(stream: bytes, name: str = "Workbook", declared: int | None = None) -> bytes:
    """An OLE2 compound file (512-byte sectors, one FAT sector) holding one stream. The stream is
    padded to 4096 bytes, the mini-stream cut-off, unless `declared` says otherwise."""
    body = stream + b"\0" * max(0, 4096 - len(stream))
    body += b"\0" * (-len(body) % 512)
    n = len(body) // 512

    def entry(label: str, typ: int, child: int = _NOSTREAM, start: int = _ENDOFCHAIN, size: int = 0) -> bytes:
        raw = (label + "\0").encode("utf-16-le") if label else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), typ, 1) +
                struct.pack("<III", _NOSTREAM, _NOSTREAM, child) + b"\0" * 20 + b"\0" * 16 +
                struct.pack("<IQ", start, size))
    dirs = entry("Root Entry", 5, child=1) + entry(name, 2, start=0, size=declared or max(len(stream), 4096)) \
        + entry("", 0) + entry("", 0)
    fat = [i + 1 for i in range(n - 1)] + [_ENDOFCHAIN, _ENDOFCHAIN, _FATSECT]
    fat += [_FREESECT] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) +
              b"\0" * 6 + struct.pack("<IIIIIIII", 0, 1, n, 0, 4096, _ENDOFCHAIN, 0, _ENDOFCHAIN) +
              struct.pack("<II", 0, n + 1) + struct.pack("<I", _FREESECT) * 108)
    assert len(header) == 512
    return header + body + dirs + struct.pack("<128I", *fat)


def xls_absurd_dimensions(good: bytes) -> bytes:
    """An .xls whose DIMENSIONS record declares 4,294,967,295 rows (calamine: an 11 PB allocation)."""
    return cfb(biff8([(0, 0, 1.0), (3, 2, 5.0)], dims=(0, 0xFFFFFFFF, 0, 0xFFFF)))


def xls_far_cell(good: bytes) -> bytes:
    """An .xls with a NUMBER cell at row 65,536, column 65,536 (172 GB as a dense grid)."""
    return cfb(biff8([(0, 0, 1.0), (0xFFFF, 0xFFFF, 2.5)]))


def xls_broken_container(good: bytes) -> bytes:
    """An .xls whose workbook stream is declared below the mini-stream cut-off with no mini stream
    (calamine panics: a BaseException, not an Exception)."""
    return cfb(biff8([(0, 0, 1.0)]), declared=200)


CORPUS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "far_cell": (far_cell, "ingest.err.sheet_too_large"),
    "grid_corner": (grid_corner, "ingest.err.sheet_too_large"),
    "far_cell_spaced": (far_cell_spaced, "ingest.err.sheet_too_large"),
    "far_cell_lowercase": (far_cell_lowercase, "ingest.err.sheet_too_large"),
    "far_cell_prefixed": (far_cell_prefixed, "ingest.err.sheet_too_large"),
    "far_cell_renamed_part": (far_cell_renamed_part, "ingest.err.sheet_too_large"),
    "far_row_without_cell_refs": (far_row_without_cell_refs, "ingest.err.sheet_too_large"),
    "millions_of_empty_cells": (millions_of_empty_cells, "ingest.err.sheet_too_large"),
    "huge_merge": (huge_merge, "ingest.err.sheet_too_large"),
    "merged_area": (merged_area, "ingest.err.merged_too_large"),
    "dimension_lie": (dimension_lie, "ingest.err.sheet_too_large"),
    "lying_zip_1gib": (lying_zip_1gib, "ingest.err.inflates_too_much"),
    "lying_zip_small": (lying_zip_small, "ingest.err.zip_lies"),
    "deep_nesting": (deep_nesting, "ingest.err.xml_too_deep"),
    "entity_expansion": (entity_expansion, "ingest.err.xml_entities"),
    "damaged_xml": (damaged_xml, "ingest.err.corrupt"),
    "truncated_zip": (truncated_zip, "ingest.err.corrupt"),
    "wrong_magic": (wrong_magic, "ingest.err.not_excel"),
    "utf16_sheet": (utf16_sheet, "ingest.err.corrupt"),
    "duplicate_member": (duplicate_member, "ingest.err.corrupt"),
    "many_sheets": (many_sheets, "ingest.err.too_many_sheets"),
    "xls_absurd_dimensions": (xls_absurd_dimensions, "ingest.err.sheet_too_large"),
    "xls_far_cell": (xls_far_cell, "ingest.err.sheet_too_large"),
    "xls_broken_container": (xls_broken_container, "ingest.err.corrupt"),
}


# --- functions the sandbox tests run in a child (sent by name) -----------------------------------

def calamine_unguarded(data: bytes) -> int:
    """What main did when a guard missed: calamine builds every sheet (rows in all of them)."""
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(len(wb.get_sheet_by_index(i).to_python(skip_empty_area=False)) for i in range(len(wb.sheet_names)))


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def spin(seconds: float) -> int:
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += 1
    return n


def abort() -> None:
    import os

    os.abort()


def raise_error() -> None:
    raise ValueError("a bug in a reader")


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def job_memory_mb(fn: Callable, *args: object) -> tuple[object, float]:
    """(fn(*args), how far this process's resident memory peaked above where it started, in MB).
    Run through sandbox.run: the child starts as a copy of the fork server, so its own starting
    size is subtracted; the peak is reset first (clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    start = _status_kb("VmRSS")
    value = fn(*args)
    return value, (_status_kb("VmHWM") - start) / 1024


def job_seconds(fn: Callable, *args: object) -> tuple[object, float]:
    """(fn(*args), seconds fn took inside the child)."""
    started = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - started


def job_profile(fn: Callable, *args: object) -> str:
    """fn(*args) under cProfile in the child; the top of the profile as text (bench diagnostics)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    fn(*args)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def job_minor_faults(fn: Callable, *args: object) -> tuple[object, int]:
    """(fn(*args), page faults it took in the child: copy-on-write of the fork server's pages)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    value = fn(*args)
    return value, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def job_twice(fn: Callable, *args: object) -> tuple[float, float]:
    """Seconds of a first and a second fn(*args) in the same child (cold start vs warm)."""
    times = []
    for _ in range(2):
        started = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - started)
    return times[0], times[1]
