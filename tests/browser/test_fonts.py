"""Chinese must show on a meeting-room PC that has no CJK font, without fetching a font from the web."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import open_path

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def test_chinese_font_is_served_by_the_app(server, playwright_driver, tmp_path, artifacts) -> None:  # noqa: ANN001
    # A fontconfig that knows only DejaVu: the browser has no Chinese font of its own.
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path}/cache</cachedir></fontconfig>')
    font_requests: list[str] = []
    browser = playwright_driver.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                              env={"FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)})
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    page.on("request", lambda r: ".woff" in r.url and font_requests.append(r.url))
    open_path(page, server)
    faces = page.evaluate("() => Array.from(document.fonts).filter(f => f.family === 'NotoSansSC')"
                          ".map(f => f.status)")
    page.screenshot(path=str(artifacts / "fonts-no-system-cjk.png"))
    browser.close()
    assert faces and all(status == "loaded" for status in faces)
    assert any("NotoSansSC" in url for url in font_requests)
    assert all(url.startswith(server) for url in font_requests)
    assert (Path(__file__).parents[2] / "static/fonts/COPYRIGHT-fonts-noto-cjk.txt").exists()  # OFL notice ships
