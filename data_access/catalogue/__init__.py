"""The indicator catalogue, service-point types and facility kinds as a deployment holds them, and
the presets a new county starts from.

    point_types   the types and kinds, their names and import aliases (reads)
    rules         registry rules and per-unit minimums: checking and describing them
    edit          every write an administrator makes to the catalogue (role checked, audited)
    presets       PRESETS and apply_preset(session, preset, actor): the setup step "catalogue"
"""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy: the registry and the imports read point_types without loading the presets' writes.
    if name in ("PRESETS", "apply_preset"):
        from data_access.catalogue import presets

        return getattr(presets, name)
    raise AttributeError(name)
