"""Home page."""

STRINGS: dict[str, tuple[str, str]] = {
    "home.heading": ("{region} · {period} 目标指标一览", "{region} · target indicators, {period}"),
    "home.caption": (
        "每项指标取本报告期全县数值，与当期有效目标比较。比率按“各地分子之和 ÷ 分母之和”汇总。",
        "Each indicator's county value for the period against the target in force. Rates are the sum of numerators over the sum of denominators.",
    ),
    "home.targets": ("目标指标", "Target indicators"),
    "home.outcomes": ("成效指标（不设目标）", "Outcome figures (no target)"),
    "home.no_period": ("还没有任何已结束的报告期。", "No reporting period has ended yet."),
    "home.empty_db": (
        "数据库中还没有地区和指标数据。请由管理员导入基础数据（示例数据：make run 会自动生成）。",
        "The database holds no regions or indicators yet. Ask the administrator to load reference data (make run creates the sample data).",
    ),
    "home.counts": ("达标 {met} 项 · 接近 {near} 项 · 滞后 {behind} 项 · 无数据 {missing} 项",
                    "{met} met · {near} near · {behind} behind · {missing} without data"),
}
