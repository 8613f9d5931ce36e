"""The `fieldgraph` command: serve, worker, migrate, seed, token, create-admin, export-schema,
solve."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.config import Settings, get_settings

if TYPE_CHECKING:
    import uvicorn

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"

_ID_AND_NAME = "edges { node { id name } }"
# Roles whose tokens stand for one record, and that record's type (as in global IDs).
SCOPED_ROLES = {"TECHNICIAN": "Technician", "CUSTOMER": "Customer", "PARTNER": "Partner"}


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.core.serving import drain_seconds, serve_workers

    settings = get_settings()
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host or settings.host,
        "port": settings.port if args.port is None else args.port,
        "log_level": "warning",
        "ws_max_size": 1_048_576,
        # Subscription messages are small and many: compressing each one per socket costs
        # more CPU than it saves bandwidth (measured in bench/realtime.py).
        "ws_per_message_deflate": False,
        "timeout_graceful_shutdown": drain_seconds(settings),
    }
    workers = args.workers or settings.web_concurrency
    if args.reload and workers > 1:
        return _usage_error("--reload runs one process: leave out --workers (or WEB_CONCURRENCY)")
    if args.reload:  # the reloader runs the server in a child process of its own
        _log_listening(options["host"], options["port"])
        uvicorn.run("app.main:create_app", reload=True, **options)
        return 0
    if workers > 1:
        config = uvicorn.Config("app.main:create_app", workers=workers, **options)
        return serve_workers(config, _log_listening)
    _listening_server(uvicorn.Config("app.main:create_app", **options)).run()
    return 0


def worker(args: argparse.Namespace) -> int:
    from app.core.logging import configure_logging
    from app.core.worker import serve_worker

    settings = get_settings()
    configure_logging(settings)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    asyncio.run(serve_worker(settings, queues))
    return 0


def _log_listening(host: str, port: int) -> None:
    from app.core.logging import get_logger

    shown = f"[{host}]" if ":" in host else host
    get_logger("fieldgraph").info(f"listening on http://{shown}:{port}/graphql")


def _listening_server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, logging the address it really listens on once it is bound, and
    stopping gracefully (app/core/serving.py)."""
    from app.core.serving import GracefulServer

    class Server(GracefulServer):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            for server in self.servers if self.started else []:
                for sock in server.sockets:
                    _log_listening(*sock.getsockname()[:2])

    return Server(config, get_settings().shutdown_grace_seconds)


def migrate(args: argparse.Namespace) -> int:
    from app.core import bootstrap

    url = get_settings().database_url
    try:
        bootstrap.migrations_dir()
    except bootstrap.MigrationsNotFound as exc:
        print(f"fieldgraph: {exc}", file=sys.stderr)
        return 1
    asyncio.run(bootstrap.prepare_database(url))
    bootstrap.upgrade(url)
    print("database is at the latest migration")
    return 0


def seed(args: argparse.Namespace) -> int:
    from app.demo.command import seed_command

    return seed_command(
        get_settings(), scale=args.scale, if_empty=args.if_empty, history_days=args.history_days
    )


def token(args: argparse.Namespace) -> int:
    from app.core.auth import Principal, Role, issue_token

    role = Role(args.role)
    record = SCOPED_ROLES.get(role.value)
    if record and not args.subject:
        return _usage_error(
            f"--role {role} needs --subject: the database id or global ID of the "
            f"{record.lower()} the token stands for (without one it would see nothing).\n"
            f"Find one with `{{ {record.lower()}s(first: 5) {{ {_ID_AND_NAME} }} }}`"
            " called with a DISPATCHER token, or log in as a demo user instead: "
            "`fieldgraph seed --if-empty` prints the demo logins."
        )
    if args.subject and not record:
        return _usage_error(
            f"--subject is for the roles {', '.join(SCOPED_ROLES)}; "
            f"a {role} token sees the whole organisation"
        )
    db_id = _subject_id(args.subject, record) if args.subject and record else None
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


def _subject_id(subject: str, record: str) -> int:
    """A raw database id, or the id inside a global ID of the role's record type."""
    if subject.isdigit():
        return int(subject)
    from schema.ids import split_id

    parts = split_id(subject)
    if parts is None or parts[0] != record:
        raise UsageError(f"--subject must be a {record} database id or global ID, got {subject!r}")
    return parts[1]


class UsageError(Exception):
    """A command used wrongly: its message goes to stderr and the exit code is 2."""


def _usage_error(message: str) -> int:
    print(f"fieldgraph: error: {message}", file=sys.stderr)
    return 2


def _role(value: str) -> str:
    from app.core.auth import Role

    name = value.strip().upper()
    if name not in Role.__members__:
        raise argparse.ArgumentTypeError(
            f"unknown role {value!r}; valid roles: {', '.join(Role.__members__)}"
        )
    return name


def create_admin(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    password = _admin_password(args)
    if password is None:
        return _usage_error(
            "no password: pipe it with --password-stdin, set FIELDGRAPH_ADMIN_PASSWORD, "
            "or run in a terminal to be asked"
        )
    try:
        created = asyncio.run(create_admin_user(get_settings(), args.email, args.name, password))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _usage_error(problems)
    if isinstance(created, str):
        print(f"fieldgraph: {created}", file=sys.stderr)
        return 1
    print(f"created ADMIN user {created} ({args.email}); log in with the login mutation")
    return 0


async def create_admin_user(settings: Settings, email: str, name: str, password: str) -> int | str:
    """The new admin's id, or why it was refused (the email is in use)."""
    from app.core.auth import Role
    from app.core.db import create_engine, create_session_factory
    from app.core.errors import DomainError
    from app.users.models import UserCreate
    from app.users.service import create_user

    data = UserCreate(email=email, name=name, password=password, role=Role.ADMIN)
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            user = await create_user(session, data)
            assert user.id is not None
            return user.id
    except DomainError as exc:
        return str(exc)
    finally:
        await engine.dispose()


def _admin_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n") or None
    if os.environ.get("FIELDGRAPH_ADMIN_PASSWORD"):
        return os.environ["FIELDGRAPH_ADMIN_PASSWORD"]
    if sys.stdin.isatty():
        first = getpass.getpass("password for the new admin: ")
        if first != getpass.getpass("again: "):
            print("fieldgraph: the passwords differ", file=sys.stderr)
            return None
        return first or None
    return None


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
    p.add_argument(
        "--workers", type=int, help="server processes on one port (default: WEB_CONCURRENCY or 1)"
    )
    p.set_defaults(run=serve)

    p = commands.add_parser(
        "worker", help="run background jobs (periodic work, dispatch runs) in this process"
    )
    p.add_argument(
        "--queues",
        help="comma-separated queues to serve (periodic, dispatch; default: all)",
    )
    p.set_defaults(run=worker)

    p = commands.add_parser(
        "migrate", help="create the database if needed, enable PostGIS, migrate"
    )
    p.set_defaults(run=migrate)

    p = commands.add_parser("seed", help="load the demo city")
    p.add_argument("--scale", type=int, default=1, help="multiply the demo city's size")
    p.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
    p.add_argument(
        "--history-days",
        type=int,
        default=14,
        help="days of past work to write (1-400; 365 gives the dashboards a year, in minutes)",
    )
    p.set_defaults(run=seed)

    p = commands.add_parser("token", help="print a bearer token for local use")
    p.add_argument("--role", required=True, type=_role, help="ADMIN, DISPATCHER, AGENT, ...")
    p.add_argument("--subject", help="technician, customer or partner id: required for those roles")
    p.set_defaults(run=token)

    p = commands.add_parser("create-admin", help="create a user with the ADMIN role")
    p.add_argument("--email", required=True)
    p.add_argument("--name", default="Administrator")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else FIELDGRAPH_ADMIN_PASSWORD or a prompt)",
    )
    p.set_defaults(run=create_admin)

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
    try:
        result: int = args.run(args)
    except UsageError as exc:
        return _usage_error(str(exc))
    return result


if __name__ == "__main__":
    sys.exit(main())
