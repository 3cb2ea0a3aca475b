"""Filling 指标与目标's new-indicator tab in Chromium as an administrator would (selectboxes typed
into, the long point-type list filtered): shared by the catalogue browser tests."""
from __future__ import annotations

from helpers import settle


def choose(page, scope, label: str, option: str) -> None:  # noqa: ANN001
    scope.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.locator("input").click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page, quiet=0.8)


def create_indicator(page, panel, kind: str, code: str, name_zh: str, unit: str | None = None,  # noqa: ANN001
                     **choices: str) -> None:  # noqa: ANN003
    """The new-indicator tab filled, then 创建指标, waiting for its confirmation."""
    choose(page, panel, "指标类型", kind)
    panel.get_by_label("代码（英文小写，如 family_instructors）").fill(code)
    panel.get_by_label("中文名称").fill(name_zh)
    panel.get_by_label("英文名称").fill(code.replace("_", " ").title())
    if unit is not None:
        panel.get_by_label("单位", exact=True).fill(unit)
    for label, option in choices.items():
        if label == "计入的阵地类型":
            panel.locator('[data-testid="stMultiSelect"]').filter(has_text=label).first.locator("input").click()
            page.keyboard.type(option)  # the list is long: filter it as a person would
            page.get_by_role("option", name=option, exact=True).click()
            page.keyboard.press("Escape")
            settle(page, quiet=0.8)
        else:
            choose(page, panel, label, option)
    panel.get_by_role("button", name="创建指标").click()
    page.get_by_text(f"指标“{name_zh}”已创建").wait_for(timeout=30_000)
    settle(page, quiet=1.0)
