"""python -m data_access.ingest FILE --department CODE --period 2026Q3 [--dry-run] [--json] [--replace]

For administrators loading a backlog of files. Acts as a system administrator (audited as
"cli:<os user>"). Exit status: 0 accepted (or dry run passed, or identical), 1 rejected, 2 usage error.

A file with only some of the quarter's figures (a correction of two rows) updates those and keeps
every other existing figure; the output says how many were kept. --replace makes the file the
quarter's whole set: the existing figures it does not give are deleted, and the output says how many.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

from data_access.access import Actor
from data_access.db import make_engine, upgrade_schema
from data_access.ingest.commit import ACCEPTED, IDENTICAL, REJECTED, REPLACE, UPDATE, ingest, record_rejection
from data_access.ingest.problems import err
from data_access.ingest.reader import DEFAULT_LIMITS
from data_access.ingest.spec import SpecError
from i18n import t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.ingest", description=t("ingest.cli.description", "zh"))
    parser.add_argument("file")
    parser.add_argument("--department", required=True, help="department code, e.g. health")
    parser.add_argument("--period", required=True, help="quarter, e.g. 2026Q3")
    parser.add_argument("--dry-run", action="store_true", help="check and preview only, write nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--replace", action="store_true",
                        help="delete the quarter's existing figures the file does not give (default: keep them)")
    parser.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/dashboard.sqlite")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--today", default=None, help=argparse.SUPPRESS)  # tests: fix "today"
    args = parser.parse_args(argv)
    lang = args.lang
    path = Path(args.file)
    if not path.is_file():
        print(t("ingest.cli.no_file", lang, path=path), file=sys.stderr)
        return 2
    size = path.stat().st_size
    if size > DEFAULT_LIMITS.max_bytes:  # refused by its size, never read into this process
        too_big = err("ingest.err.too_big", size_mb=round(size / 1024 / 1024, 1),
                      max_mb=round(DEFAULT_LIMITS.max_bytes / 1024 / 1024))
        if args.json:
            print(json.dumps(dict(status="rejected", accepted=False, submission_id=None,
                                  message=t("ingest.result.rejected", lang), problems=[too_big.as_dict(lang)]),
                             ensure_ascii=False, indent=2))
        else:
            print(f"{too_big.message(lang)} {too_big.fix(lang)}", file=sys.stderr)
        return 1
    today = dt.date.fromisoformat(args.today) if args.today else None
    engine = make_engine(args.database_url)
    upgrade_schema(engine)
    try:
        user = getpass.getuser()
    except Exception:  # no login name in a container: still audited as the CLI
        user = "unknown"
    actor = Actor(user_id=None, username=f"cli:{user}", role="admin")
    try:
        preview, result = ingest(engine, actor, path.read_bytes(), path.name, args.department, args.period,
                                 dry_run=args.dry_run, today=today, mode=REPLACE if args.replace else UPDATE)
        if result.status == REJECTED and not args.dry_run:
            record_rejection(engine, actor, preview, args.department, args.period)
    except SpecError as exc:
        print(t(exc.key, lang, **exc.values), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    problems = [p.as_dict(lang) for p in preview.all_problems]
    accepted = result.status in (ACCEPTED, IDENTICAL, "dry_run")
    mode = REPLACE if args.replace else UPDATE
    not_in_file = preview.not_in_file if preview.ok else 0
    written = result.status == ACCEPTED
    deleted = result.deleted if written else 0
    kept = result.kept if written else 0
    spec = preview.spec
    message = t(result.message_key, lang, **{"department": spec.department_name_zh if spec else args.department,
                                             "period": args.period, "version": result.version_no or "",
                                             **result.values})
    if args.json:
        print(json.dumps(dict(status=result.status, accepted=accepted, submission_id=result.submission_id,
                              message=message, sha256=preview.sha256, mode=mode, changes=preview.counts,
                              not_in_file=not_in_file, deleted=deleted, kept=kept, problems=problems),
                         ensure_ascii=False, indent=2))
    else:
        print(message)
        if written and deleted:
            print(t("ingest.cli.deleted", lang, count=deleted))
        elif written and kept:
            print(t("ingest.cli.kept", lang, count=kept))
        elif result.status == "dry_run" and not_in_file:
            print(t("ingest.cli.dry_not_in_file", lang, count=not_in_file,
                    what_key="ingest.cli.would_delete" if args.replace else "ingest.cli.would_keep"))
        if problems:
            print(t("ingest.cli.problems", lang, count=len(problems)))
            for p in problems:
                where = "!".join(x for x in (p["sheet"], p["cell"]) if x)
                print(f"  [{p['severity']}] {where} {p['value']!r} {p['message']} {p['fix']}".rstrip())
    return 0 if accepted else 1


if __name__ == "__main__":
    sys.exit(main())
