"""Text for the paged lists and the phone layout (issue 18/17: speed and phones)."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "registry.page_range": ("第 {first}–{last} 个，共 {total} 个", "{first}–{last} of {total}"),
}
