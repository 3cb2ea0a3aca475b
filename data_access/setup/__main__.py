"""Set up a county from the command line -- the same steps as the setup page.

    python -m data_access.setup county --code 330122 --name 某某县 [--name-en "Moumou County"]
    python -m data_access.setup regions FILE.xlsx|csv
    python -m data_access.setup population FILE.xlsx
    python -m data_access.setup boundaries FILE.geojson|FILE.zip|FILE.kml [--crs EPSG:4527] [--level township|village] [--repair]
    python -m data_access.setup departments --standard
    python -m data_access.setup catalogue --preset national-pilot
    python -m data_access.setup quarters --first 2026Q1 [--deadline-days 15]
    python -m data_access.setup points FILE.xlsx --coords gcj02|bd09|wgs84
    python -m data_access.setup status

Every command takes --database-url URL and --lang zh|en, and --dry-run where it reads a file
(check and show, write nothing). Acts as an administrator, audited as "cli:<os user>".
Exit status: 0 done, 1 refused (every problem listed, nothing written), 2 usage error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from data_access import admin, coords, db
from data_access.access import PermissionDenied
from data_access.admin import InvalidInput
from data_access.ingest.problems import Problem, err
from data_access.ingest.reader import DEFAULT_LIMITS
from data_access.setup import boundaries, divisions, geofiles, steps
from data_access.setup.common import cli_actor
from data_access.setup.county import put_county
from data_access.setup.departments import add_standard_departments
from i18n import t

DONE, REFUSED, USAGE = 0, 1, 2


def _print_problems(problems: Sequence[Problem], lang: str) -> None:
    for p in problems:
        d = p.as_dict(lang)
        where = "!".join(x for x in (d["sheet"], d["cell"]) if x)
        value = f" {d['value']!r}" if d["value"] else ""
        print(f"  [{d['severity']}] {where}{value} {d['message']} {d['fix']}".rstrip())


def _finish(checked, lang: str, dry_run: bool, done_key: str, **values) -> int:  # noqa: ANN001, ANN003
    _print_problems(checked.problems, lang)
    if not checked.ok:
        print(t("setup.cli.refused", lang, errors=len(checked.errors)), file=sys.stderr)
        return REFUSED
    print(t("setup.cli.dry_run", lang) if dry_run else t(done_key, lang, **values))
    return DONE


def _read(path: str, lang: str, max_bytes: int) -> bytes | int:
    """The file's bytes, or the exit status after saying why not. A file larger than the step accepts
    is refused by its size, never read into this process (a 1 GB file would be 1 GB here first)."""
    file = Path(path)
    if not file.is_file():
        print(t("ingest.cli.no_file", lang, path=path), file=sys.stderr)
        return USAGE
    size = file.stat().st_size
    if size > max_bytes:
        _print_problems([err("ingest.err.too_big", size_mb=round(size / 1024 / 1024, 1),
                             max_mb=round(max_bytes / 1024 / 1024))], lang)
        print(t("setup.cli.refused", lang, errors=1), file=sys.stderr)
        return REFUSED
    return file.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.setup", description=t("setup.cli.description", "zh"))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/dashboard.sqlite")
    common.add_argument("--lang", choices=("zh", "en"), default="zh")
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("file")
    reading.add_argument("--dry-run", action="store_true", help="check and show, write nothing")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("county", parents=[common], help="the county's 6-digit code and name")
    p.add_argument("--code", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--name-en", default=None)
    sub.add_parser("regions", parents=[common, reading], help="townships and villages from the division-code list")
    sub.add_parser("population", parents=[common, reading], help="resident population per village")
    p = sub.add_parser("boundaries", parents=[common, reading], help="boundaries: GeoJSON, zipped Shapefile, KML")
    p.add_argument("--crs", default=None, help="e.g. EPSG:4527 when the file does not say (no .prj)")
    p.add_argument("--level", choices=boundaries.LEVELS, default=None)
    p.add_argument("--repair", action="store_true", help="mend self-intersecting boundaries instead of refusing")
    p = sub.add_parser("departments", parents=[common], help="the standard departments of a leading group")
    p.add_argument("--standard", action="store_true", required=True)
    p = sub.add_parser("catalogue", parents=[common], help="the indicator catalogue from a preset")
    p.add_argument("--preset", required=True)
    p = sub.add_parser("quarters", parents=[common], help="open the quarters from the first one reported")
    p.add_argument("--first", required=True, help="e.g. 2026Q1")
    p.add_argument("--deadline-days", type=int, default=15)
    p = sub.add_parser("points", parents=[common, reading], help="the service-point registry from Excel")
    p.add_argument("--coords", choices=coords.SYSTEMS, required=True,
                   help="gcj02: copied from 高德/腾讯; bd09: from 百度; wgs84: GPS, 天地图 or survey data")
    sub.add_parser("status", parents=[common], help="what is done and what is still missing")
    args = parser.parse_args(argv)
    lang = args.lang
    engine = db.make_engine(args.database_url)
    try:
        db.upgrade_schema(engine)
        return _run(args, engine, lang)
    except PermissionDenied as exc:
        print(t(exc.key, lang), file=sys.stderr)
        return USAGE
    except InvalidInput as exc:
        print(exc.text(lang), file=sys.stderr)
        return REFUSED
    finally:
        engine.dispose()


def _run(args: argparse.Namespace, engine, lang: str) -> int:  # noqa: ANN001
    actor = cli_actor()
    command = args.command
    if command == "county":
        with db.session_scope(engine) as s:
            county = put_county(s, actor, args.code, args.name, args.name_en)
            print(t("setup.cli.county", lang, name=county.name_zh, code=county.code))
        return DONE
    if command == "status":
        return _status(engine, lang)
    if command == "departments":
        created = add_standard_departments(engine, actor)
        print(t("setup.cli.departments", lang, count=len(created)))
        return DONE
    if command == "quarters":
        created = admin.open_quarters(engine, actor, args.first, args.deadline_days)
        print(t("setup.cli.quarters", lang, count=len(created), codes="、".join(created) or "—"))
        return DONE
    if command == "catalogue":
        return _catalogue(engine, actor, args.preset, lang)
    data = _read(args.file, lang, geofiles.MAX_BYTES if command == "boundaries" else DEFAULT_LIMITS.max_bytes)
    if isinstance(data, int):
        return data
    name = Path(args.file).name
    write = not args.dry_run
    if command == "regions":
        checked = divisions.load_regions(engine, actor, data, name, write=write)
        counts = checked.counts
        return _finish(checked, lang, args.dry_run, "setup.result.regions", township_new=counts["township_new"],
                       village_new=counts["village_new"],
                       changed=counts["township_changed"] + counts["village_changed"])
    if command == "population":
        checked = divisions.load_population(engine, actor, data, name, write=write)
        changed = sum(checked.before.get(c) != v for c, v in checked.values.items())
        return _finish(checked, lang, args.dry_run, "setup.result.population", places=len(checked.values),
                       changed=changed)
    if command == "boundaries":
        checked = boundaries.load_boundaries(engine, actor, data, name, level=args.level, crs=args.crs,
                                             repair=args.repair, write=write)
        if checked.crs_name:
            print(t("setup.cli.crs", lang, crs=checked.crs_name))
        for f in checked.features:
            if f.status in (boundaries.UNMATCHED, boundaries.AMBIGUOUS):
                print(f"  {t(f'setup.status.{f.status}', lang)}: #{f.index + 1} {f.name or f.code}")
        return _finish(checked, lang, args.dry_run, "setup.result.boundaries", regions=checked.counts["regions"],
                       level_key=t(f"setup.level.{checked.level}", lang) if checked.level else "")
    if command == "points":
        from data_access.setup.points import load_points

        preview, result = load_points(engine, actor, data, name, args.coords, write=write)
        _print_problems(preview.problems, lang)
        if not preview.ok:
            print(t("setup.cli.refused", lang, errors=len(preview.errors)), file=sys.stderr)
            return REFUSED
        if result is not None and result.status == "stale":
            print(t(result.message_key, lang), file=sys.stderr)
            return REFUSED
        print(t("setup.cli.dry_run", lang) if args.dry_run else
              t("refimport.result.accepted", lang, **preview.counts) if result and result.status == "accepted"
              else t("refimport.result.nothing", lang))
        return DONE
    return USAGE


def _catalogue(engine, actor, preset: str, lang: str) -> int:  # noqa: ANN001
    from data_access import catalogue

    if preset not in catalogue.PRESETS:
        print(t("setup.cli.unknown_preset", lang, preset=preset, presets=", ".join(catalogue.PRESETS)), file=sys.stderr)
        return USAGE
    with db.session_scope(engine) as s:
        result = catalogue.apply_preset(s, preset, actor)
    print(t("setup.cli.catalogue", lang, preset=preset))
    print(t("catalogue.preset.applied", lang, created=len(result.created), targets=len(result.targets),
            kept=len(result.kept)))
    if result.no_owner:
        print(t("catalogue.preset.no_owner", lang, codes=", ".join(result.no_owner)))
    return DONE


def _status(engine, lang: str) -> int:  # noqa: ANN001
    with db.session_scope(engine) as s:
        found = steps.setup_steps(s)
    for n, step in enumerate(found, start=1):
        mark = "✔" if step.done else "✖"
        print(f"{mark} {n}. {t(f'setup.step.{step.key}', lang)}  {t(f'setup.facts.{step.key}', lang, **step.facts) if step.facts else ''}".rstrip())
        for key, values in step.missing:
            print(f"     - {t(key, lang, **values)}")
    return DONE if all(s.done for s in found) else REFUSED


if __name__ == "__main__":
    sys.exit(main())
