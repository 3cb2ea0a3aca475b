"""Build the Chinese web font the app serves itself (static/fonts/), so a meeting-room PC without
CJK fonts (a bare Linux box) still shows Chinese and no font is fetched from the web.

Source: Debian's fonts-noto-cjk (Noto Sans CJK SC, SIL Open Font License 1.1). The subset keeps every
character of GB 2312 (6,763 hanzi: all common place and person names), ASCII, CJK and full-width
punctuation, and every character of the text catalogue. Run once after changing the catalogue:

    .venv/bin/pip install fonttools brotli && .venv/bin/python tools/build_webfont.py
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {"Regular": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
           "Bold": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"}
OUT = ROOT / "static" / "fonts"


def characters() -> str:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    chars.update(chr(c) for c in range(0x20, 0x7F))
    chars.update(chr(c) for c in range(0x3000, 0x3040))   # CJK punctuation
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))   # full-width forms
    chars.update("✔✖▲●○—·…“”‘’≥≤±×÷％")
    sys.path.insert(0, str(ROOT))
    import i18n

    for zh, en in i18n.CATALOGUE.values():
        chars.update(zh + en)
    return "".join(sorted(chars))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    text = characters()
    for weight, path in SOURCES.items():
        collection = TTCollection(path)
        font = next(f for f in collection.fonts if "SC" in f["name"].getDebugName(1))
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        target = OUT / f"NotoSansSC-{weight}-subset.woff2"
        font.flavor = "woff2"
        font.save(str(target))
        print(target.relative_to(ROOT), f"{target.stat().st_size / 1e6:.2f} MB", f"{len(text)} characters")


if __name__ == "__main__":
    main()
