"""Reference data of the sample county: departments, the catalogue preset it starts from (with
the targets of the county implementation plan, seed 003) dated for its plan period, and the
reporting calendar."""
from __future__ import annotations

import datetime as dt

from data_access.setup.departments import STANDARD_DEPARTMENTS

# The sample county starts from the same standard departments as any county set up by hand.
DEPARTMENTS = STANDARD_DEPARTMENTS

# The indicator catalogue and seed 003's targets are the "national-pilot" preset
# (data_access.catalogue.presets): the sample county is set up through it like any county.
SAMPLE_PRESET = "national-pilot"
TARGET_DATE = dt.date(2026, 12, 31)
TARGET_SET_ON = dt.date(2024, 1, 1)

DEADLINE_DAYS = 15  # a quarter's sheet is due 15 days after the quarter ends


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def period_codes(first: str, count: int) -> list[str]:
    year, quarter = int(first[:4]), int(first[-1])
    codes = []
    for _ in range(count):
        codes.append(f"{year}Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return codes
