"""Measuring an uploaded workbook before any parser builds it: what the zip really inflates to, and
how far every cell reference of every sheet reaches.

A file's own declarations are not evidence. A zip directory may declare 64 KiB for a member whose
data inflates to 1 GiB; a sheet's <dimension> may say A1:C20 over a cell at A4000000000, and
python-calamine builds a dense grid up to the farthest cell it meets (one cell at GR1048576 costs
6.5 GB; one at A4000000000 about a terabyte, and the allocation failure aborts the process). So:

- every member is inflated here, counting the bytes as they come, against the ceilings
  (inflate_members); the declared size must then match what was measured;
- every cell reference counts: <c r>, <row r> (a cell without r sits in its row), <dimension ref>,
  <mergeCell ref>, and cells or rows without r, which take the next position (sheet_extent);
  references may be lower case, quoted with ' or spaced around =, and elements may carry a
  namespace prefix: calamine accepts all of these, so the guard does too;
- a sheet is found by its content (<sheetData>), not only through workbook.xml's relationships:
  calamine resolves part names leniently (case, backslashes), so a sheet the relationships do not
  name exactly must not escape the check.

All of this runs inside the sandbox child (sandbox.py), so even the measuring cannot hurt the
server. The scans are regular expressions with a literal start (fast C search) that match only
suspicious references; a slower exact walk runs only for unusual XML (cells without r).
"""
from __future__ import annotations

import copy
import re
import zipfile
import zlib
from dataclasses import dataclass

from data_access.ingest.problems import Problem, err

CHUNK = 64 * 1024   # small enough that a lie shows in the count before the CRC check at the end
KEEP_SUFFIXES = (".xml", ".rels", ".vml")
SHEET_MARK = b"sheetData"
MAX_DEPTH = 100   # element nesting; a real sheet goes ~7 deep (worksheet/sheetData/row/c/is/r/t)


class Refusal(Exception):
    """The file is refused; problem says why (a catalogue message)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem


@dataclass
class Inflated:
    parts: dict[str, bytes]        # member name -> inflated bytes, for the XML parts
    total: int                     # bytes inflated, all members


def inflate_members(zf: zipfile.ZipFile, max_total: int, max_ratio: float) -> Inflated:
    """Inflate every member, counting as it goes; Refusal past max_total (all members together) or
    max_ratio (a member over 1 MB inflating to more than max_ratio times its compressed size), or
    when a member inflates to another size than its directory entry declares."""
    parts: dict[str, bytes] = {}
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        keep = info.filename.lower().endswith(KEEP_SUFFIXES)
        # zipfile stops reading a member at its declared size (and checks the CRC there); a copy of
        # the entry declaring "unlimited" lets the count see what the data really inflates to, and
        # the count stops it at the budget.
        probe = copy.copy(info)
        budget = max_total - total
        probe.file_size = 1 << 62
        size = 0
        blocks: list[bytes] = []
        try:
            with zf.open(probe) as fh:
                while True:
                    block = fh.read(CHUNK)
                    if not block:
                        break
                    size += len(block)
                    if size > budget:
                        raise Refusal(err("ingest.err.inflates_too_much", max_mb=round(max_total / 1024 / 1024)))
                    if size > 1024 * 1024 and size > max_ratio * max(1, info.compress_size):
                        raise Refusal(err("ingest.err.inflates_too_much", max_mb=round(max_total / 1024 / 1024)))
                    if keep:
                        blocks.append(block)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, NotImplementedError,
                ValueError, zlib.error):
            # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile lacks.
            # Past the declared size the CRC cannot match: the entry lied about its size.
            if size > info.file_size:
                raise Refusal(err("ingest.err.zip_lies", member=info.filename[:80], declared=info.file_size,
                                  actual=f"{size}+")) from None
            raise Refusal(err("ingest.err.corrupt")) from None
        if size != info.file_size:
            raise Refusal(err("ingest.err.zip_lies", member=info.filename[:80], declared=info.file_size, actual=size))
        total += size
        if keep:
            parts[info.filename] = b"".join(blocks)
    return Inflated(parts, total)


def check_xml_part(name: str, xml: bytes) -> None:
    """Refusal for an XML part no Office program writes: DTDs and entity declarations (anywhere, not
    only in the first bytes), UTF-16 (the reference scans read UTF-8), nesting deeper than MAX_DEPTH."""
    if b"<!" in xml and (b"<!DOCTYPE" in xml or b"<!ENTITY" in xml):
        raise Refusal(err("ingest.err.xml_entities"))
    head = xml[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise Refusal(err("ingest.err.corrupt"))
    if max_depth(xml) > MAX_DEPTH:
        raise Refusal(err("ingest.err.xml_too_deep", max_depth=MAX_DEPTH))


def max_depth(xml: bytes, window: int = 1 << 24) -> int:
    """Deepest element nesting, counted with numpy over the bytes (a regex trying every "<" costs
    ten times more): "<x" opens (+1), "</" closes (-1), "/>" closes what it opened (-1); "<!" and
    "<?" open nothing. A ">" inside an attribute value can only make the figure lower."""
    import numpy as np

    deepest, depth = 0, 0
    for start in range(0, len(xml), window):
        a = np.frombuffer(xml, np.uint8, count=min(window + 1, len(xml) - start), offset=start)
        here, after = a[:-1], a[1:]
        lt = here == 60
        delta = lt.view(np.int8) - (lt & (after == 47)).view(np.int8) * 2 \
            - (lt & ((after == 33) | (after == 63))).view(np.int8) - ((here == 47) & (after == 62)).view(np.int8)
        if delta.size:
            running = np.cumsum(delta, dtype=np.int32)
            deepest = max(deepest, depth + int(running.max()))
            depth += int(running[-1])
    return deepest


# --- cell references -----------------------------------------------------------------------------

def col_number(letters: str | bytes) -> int:
    if isinstance(letters, bytes):
        letters = letters.decode("ascii", "replace")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _letters_beyond(max_cols: int) -> bytes:
    """A regex alternation matching column letters that are past column number max_cols (same
    length and later in the alphabet, or longer)."""
    limit = col_letters(max_cols)
    n = len(limit)
    alts = [b"[A-Za-z]{%d,}" % (n + 1)]
    for i, ch in enumerate(limit):
        if ch == "Z":
            continue
        nxt = chr(ord(ch) + 1)
        cls = f"[{nxt}-Z{nxt.lower()}-z]".encode()
        prefix = "".join(f"[{c}{c.lower()}]" for c in limit[:i]).encode()
        alts.append(prefix + cls + (b"[A-Za-z]{%d}" % (n - i - 1) if n - i - 1 else b""))
    return b"(?:" + b"|".join(alts) + b")"


@dataclass
class Extent:
    rows: int          # last row number any reference reaches (1-based)
    cols: int          # last column number
    merged_cells: int  # cells covered by merged ranges, all ranges together


# The usual spelling is ' r="A1"'; XML also allows other white space, spaces around = and single
# quotes. A sheet using any of them is first rewritten to the usual spelling, so that the scans can
# look for the literal ' r="' (a literal start lets the regex engine skip ahead at C speed).
_CANON_R = re.compile(rb"""(?<![\w:.-])\s*r\s*=\s*['"]\s*""")
# Literal first: the engine jumps from one "dimension" / "mergeCell" to the next at C speed.
_DIMENSION = re.compile(rb"""dimension\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_MERGE = re.compile(rb"""mergeCell\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_RANGE = re.compile(rb"\$?([A-Za-z]{1,7})\$?0*(\d{1,12})(?::\$?([A-Za-z]{1,7})\$?0*(\d{1,12}))?")
_R_ATTR = re.compile(rb"""(?<![\w:.-])r\s*=\s*["']\s*([A-Za-z]*)\s*0*(\d*)""")


def _range_end(ref: bytes) -> tuple[int, int, int] | None:
    """(last row, last column, cells) of "A1" or "A1:C20"; None when it is not a cell range."""
    m = _RANGE.fullmatch(ref.strip())
    if not m:
        return None
    c0, r0 = col_number(m.group(1)), int(m.group(2))
    c1, r1 = (col_number(m.group(3)), int(m.group(4))) if m.group(3) else (c0, r0)
    return max(r0, r1), max(c0, c1), (abs(r1 - r0) + 1) * (abs(c1 - c0) + 1)


# A "=" with white space on either side, or followed by a single quote. Literal first: the engine
# jumps from one "=" to the next at C speed.
_ODD_EQUALS = re.compile(rb"=(?:[\s']|(?<=\s=))")


def _unusual_spelling(xml: bytes) -> bool:
    """True when some attribute may be written other than name="value" (a "=" in cell text makes
    it True too: the sheet is then just rewritten to the usual spelling)."""
    return _ODD_EQUALS.search(xml) is not None


def sheet_extent(xml: bytes, max_rows: int, max_cols: int) -> Extent:
    """How far the sheet's references reach, exact where it matters: the result is beyond a limit
    only if some reference is. Within the limits the figures may be lower than the true extent
    (references under the limits are not all decoded: that is what keeps the scan fast)."""
    if _unusual_spelling(xml):
        xml = _CANON_R.sub(b' r="', xml)
    rows, cols = 0, 0
    digits = len(str(max_rows))
    beyond = _letters_beyond(max_cols)
    # One pass for the suspicious: letters past max_cols, or a row number with as many digits as
    # max_rows (rare in a real sheet); only when one exists are they all decoded.
    if re.search(rb'r="(?:%s|[A-Za-z]{0,7}0*[1-9]\d{%d})' % (beyond, digits - 1), xml):
        for number in re.findall(rb'r="[A-Za-z]*0*([1-9]\d{%d,})' % (digits - 1), xml):
            rows = max(rows, int(number))
        far_cols = re.findall(rb'r="(%s)0*\d' % beyond, xml)
        if far_cols:
            cols = max(col_number(c) for c in set(far_cols))
    dim = _DIMENSION.search(xml)
    if dim:
        end = _range_end(dim.group(1))
        if end:
            rows, cols = max(rows, end[0]), max(cols, end[1])
    merged = 0
    for ref in _MERGE.findall(xml):
        end = _range_end(ref)
        if end:
            rows, cols, merged = max(rows, end[0]), max(cols, end[1]), merged + end[2]
    if _positions_implied(xml):
        walk_rows, walk_cols = _walk(xml)
        rows, cols = max(rows, walk_rows), max(cols, walk_cols)
    return Extent(rows, cols, merged)


def _count_tags(xml: bytes, tag: bytes) -> int:
    return sum(xml.count(b"<" + tag + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))


_LETTERED = re.compile(rb' r="([A-Za-z]+)')


def _prefixed(xml: bytes) -> bool:
    """Rows or cells written with a namespace prefix (<x:c>)."""
    return (b":c" in xml or b":row" in xml) and re.search(rb"<[\w.-]+:(?:row|c)[\s/>]", xml) is not None


def _positions_implied(xml: bytes) -> bool:
    """True when some <row> or <c> lacks a leading r attribute (or names carry a prefix): its
    position is then the previous one plus one, and only a walk finds how far that goes."""
    return _prefixed(xml) or _WITHOUT_R.search(xml) is not None


_WITHOUT_R = re.compile(rb'<(?:c|row)(?=[\s/>])(?! r=")')


def _walk(xml: bytes) -> tuple[int, int]:
    """Rows and columns as a reader assigns them when r is missing: a row without r is the previous
    row plus one; in a row, a cell without r is one right of the previous cell, so the row reaches
    at most (its farthest lettered reference) + (its cells without r). Counted per row with C-speed
    substring counts, so two million cells in one row cost milliseconds."""
    if _prefixed(xml):
        xml = re.sub(rb"<(/?)[\w.-]+:(row|c)(?=[\s/>])", rb"<\1\2", xml)
    row = last_row = last_col = 0
    for chunk in xml.split(b"<row")[1:]:
        if chunk[:1] not in b" \t\r\n>/":
            continue  # <rowBreaks> and the like
        head_end = chunk.find(b">")
        ref = _R_ATTR.match(chunk, 0, head_end) or _R_ATTR.search(chunk, 0, head_end)
        row = int(ref.group(2)) if ref and ref.group(2) else row + 1
        last_row = max(last_row, row)
        cells = _count_tags(chunk, b"c")
        if not cells:
            continue
        lettered = _LETTERED.findall(chunk)
        farthest = max((col_number(c) for c in set(lettered)), default=0)
        last_col = max(last_col, farthest + max(0, cells - len(lettered)))
    return last_row, last_col


# --- old .xls (BIFF8 in an OLE2 compound file) --------------------------------------------------

# Records that place a cell at (row u16, column u16) in their first four bytes.
_BIFF_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x0201, 0x00D6}
_BIFF_MULTI = {0x00BD, 0x00BE}      # MULRK / MULBLANK: row, first column, ..., last column (u16 at the end)
_BIFF_DIMENSIONS, _BIFF_BOF, _BIFF_BOUNDSHEET, _BIFF_FILEPASS = 0x0200, 0x0809, 0x0085, 0x002F


def biff_extents(data: bytes, max_stream: int) -> dict[str, Extent]:
    """Sheet name -> how far its DIMENSIONS record and its cell records reach, read from the
    Workbook stream before calamine sees it (calamine sizes a sheet's grid from both: a DIMENSIONS
    record declaring 4 billion rows is an 11 PB allocation). Refusal when the container cannot be
    read, its workbook stream is larger than max_stream or is not a BIFF stream."""
    import io
    import struct

    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
        if name is None:
            raise Refusal(err("ingest.err.not_excel"))
        if ole.get_size(name) > max_stream:
            raise Refusal(err("ingest.err.inflates_too_much", max_mb=round(max_stream / 1024 / 1024)))
        stream = ole.openstream(name).read()
    except Refusal:
        raise
    except Exception:  # noqa: BLE001 -- olefile reports a damaged container in many ways
        raise Refusal(err("ingest.err.corrupt")) from None
    if not stream.startswith(b"\x09\x08"):  # a workbook stream starts with a BOF record
        raise Refusal(err("ingest.err.corrupt"))
    names: dict[int, str] = {}
    extents: dict[str, Extent] = {}
    current: Extent | None = None
    pos, end = 0, len(stream)
    unpack = struct.unpack_from
    while pos + 4 <= end:
        typ, length = unpack("<HH", stream, pos)
        body = pos + 4
        if typ == _BIFF_FILEPASS:  # the rest is encrypted: lengths mean nothing; calamine asks for the password
            raise Refusal(err("ingest.err.password"))
        if typ == _BIFF_BOUNDSHEET and length >= 8:
            (offset,), cch, high = unpack("<I", stream, body), stream[body + 6], stream[body + 7]
            raw = stream[body + 8: body + 8 + cch * (2 if high & 1 else 1)]
            names[offset] = raw.decode("utf-16-le" if high & 1 else "latin-1", "replace")
        elif typ == _BIFF_BOF:
            kind = unpack("<H", stream, body + 2)[0] if length >= 4 else 0
            current = None if kind == 0x0005 else extents.setdefault(names.get(pos, f"#{len(extents) + 1}"),
                                                                     Extent(0, 0, 0))
        elif current is not None and typ == _BIFF_DIMENSIONS:
            if length >= 14:
                _, rows, _, cols = unpack("<IIHH", stream, body)
            elif length >= 10:
                _, rows, _, cols = unpack("<HHHH", stream, body)
            else:
                rows = cols = 0
            current.rows, current.cols = max(current.rows, rows), max(current.cols, cols)
        elif current is not None and typ in _BIFF_CELLS and length >= 4:
            row, col = unpack("<HH", stream, body)
            current.rows, current.cols = max(current.rows, row + 1), max(current.cols, col + 1)
        elif current is not None and typ in _BIFF_MULTI and length >= 6:
            row, = unpack("<H", stream, body)
            last, = unpack("<H", stream, body + length - 2)
            current.rows, current.cols = max(current.rows, row + 1), max(current.cols, last + 1)
        pos = body + length
    return extents
