"""Step 7: the service-point registry from Excel, coordinates as copied from a web map.

The bulk import of the registry (ingest.reference) does the reading and checking -- one path for
a county's first registry and every later edit -- told which map the coordinates were read from:
GCJ-02 (高德, 腾讯) and BD-09 (百度) are converted to WGS84 before the points are checked against
their township's boundary.
"""
from __future__ import annotations

from sqlalchemy import Engine

from data_access import coords, db
from data_access.access import Actor
from data_access.ingest import reference


def load_points(engine: Engine, actor: Actor | None, data: bytes, filename: str, system: str = coords.WGS84,
                write: bool = True) -> tuple[reference.ImportPreview, reference.ImportResult | None]:
    """Check the sheet; when it is clean and write is asked, import it. A refused file is audited."""
    if system not in coords.SYSTEMS:
        raise ValueError(system)
    with db.session_scope(engine) as s:
        preview = reference.check_import(s, actor, reference.SERVICE_POINTS, data, filename, coords_system=system)
    if not preview.ok:
        if write:
            reference.record_refusal(engine, actor, preview)
        return preview, None
    if not write:
        return preview, None
    return preview, reference.commit_import(engine, actor, preview)
