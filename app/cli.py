"""The `fieldgraph` command: serve, migrate, seed, token, export-schema, solve."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from app.core.config import get_settings

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        reload=args.reload,
        log_level="warning",
        ws_max_size=1_048_576,
        # Subscription messages are small and many: compressing each one per socket costs
        # more CPU than it saves bandwidth (measured in bench/realtime.py).
        ws_per_message_deflate=False,
    )
    return 0


def migrate(args: argparse.Namespace) -> int:
    from app.core import bootstrap

    url = get_settings().database_url
    asyncio.run(bootstrap.prepare_database(url))
    bootstrap.upgrade(url)
    print("database is at the latest migration")
    return 0


def seed(args: argparse.Namespace) -> int:
    from app.demo.command import seed_command

    return seed_command(get_settings(), scale=args.scale, if_empty=args.if_empty)


def token(args: argparse.Namespace) -> int:
    from app.core.auth import Principal, Role, issue_token

    role = Role(args.role.upper())
    db_id = _subject_id(args.subject) if args.subject else None
    link = {
        Role.TECHNICIAN: "technician_id",
        Role.CUSTOMER: "customer_id",
        Role.PARTNER: "partner_id",
    }.get(role)
    links = {link: db_id} if link and db_id is not None else {}
    subject = f"cli:{role.value.lower()}" + (f":{args.subject}" if args.subject else "")
    principal = Principal(subject=subject, role=role, name=f"Local {role.value.title()}", **links)
    print(issue_token(get_settings(), principal))
    return 0


def _subject_id(subject: str) -> int:
    """A raw database id, or the id inside a global ID."""
    if subject.isdigit():
        return int(subject)
    from schema.ids import split_id

    parts = split_id(subject)
    if parts is None:
        raise SystemExit(f"--subject must be a database id or a global ID, got {subject!r}")
    return parts[1]


def export_schema(args: argparse.Namespace) -> int:
    from app.main import build_schema

    text = build_schema(get_settings()).as_str() + "\n"
    if args.check:
        current = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
        if current != text:
            print(
                f"{SCHEMA_FILE.name} is out of date: run `fieldgraph export-schema`",
                file=sys.stderr,
            )
            return 1
        return 0
    SCHEMA_FILE.write_text(text)
    print(f"wrote {SCHEMA_FILE}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fieldgraph", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="serve the GraphQL API")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--reload", action="store_true")
    p.set_defaults(run=serve)

    p = commands.add_parser(
        "migrate", help="create the database if needed, enable PostGIS, migrate"
    )
    p.set_defaults(run=migrate)

    p = commands.add_parser("seed", help="load the demo city")
    p.add_argument("--scale", type=int, default=1, help="multiply the demo city's size")
    p.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
    p.set_defaults(run=seed)

    p = commands.add_parser("token", help="print a bearer token for local use")
    p.add_argument("--role", required=True)
    p.add_argument("--subject", help="technician, customer or partner id for those roles")
    p.set_defaults(run=token)

    p = commands.add_parser("export-schema", help="write schema/schema.graphql")
    p.add_argument("--check", action="store_true", help="fail when the committed file differs")
    p.set_defaults(run=export_schema)

    commands.add_parser(
        "solve", help="solve a dispatch problem file (see DISPATCH.md)", add_help=False
    )
    return root


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["solve"]:
        from app.dispatch.cli import solve_command

        return solve_command(argv[1:])
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
