"""The `fieldgraph` command meets newcomers: clear usage errors, tokens that see something,
and a way to create the first admin."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.core.auth import Role, read_token
from app.core.config import get_settings
from schema.ids import encode_id


@pytest.fixture
def env_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The command reads its settings from the environment: set it, and forget them after."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_an_unknown_role_lists_the_valid_ones_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "--role", "foo"])

    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "unknown role 'foo'" in err
    assert "ADMIN, DISPATCHER, AGENT, MANAGER, TECHNICIAN, CUSTOMER, PARTNER" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("role", ["TECHNICIAN", "customer", "Partner"])
def test_a_role_scoped_to_a_record_needs_a_subject(
    capsys: pytest.CaptureFixture[str], role: str
) -> None:
    code = main(["token", "--role", role])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"--role {role.upper()} needs --subject" in captured.err
    assert "demo logins" in captured.err


def test_a_staff_token_takes_no_subject(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "DISPATCHER", "--subject", "12"]) == 2
    assert "whole organisation" in capsys.readouterr().err


def test_a_subject_of_another_type_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["token", "--role", "TECHNICIAN", "--subject", encode_id("Customer", 3)])

    assert code == 2
    assert "must be a Technician database id or global ID" in capsys.readouterr().err


@pytest.mark.parametrize("subject", ["12", encode_id("Technician", 12)])
def test_a_technician_token_stands_for_its_technician(
    capsys: pytest.CaptureFixture[str], env_settings: pytest.MonkeyPatch, subject: str
) -> None:
    assert main(["token", "--role", "technician", "--subject", subject]) == 0

    principal = read_token(get_settings(), capsys.readouterr().out.strip())
    assert principal.role is Role.TECHNICIAN
    assert principal.technician_id == 12


def test_create_admin_stores_a_user_who_can_log_in(
    capsys: pytest.CaptureFixture[str], env_settings: pytest.MonkeyPatch, committed_database: str
) -> None:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    env_settings.setenv("DATABASE_URL", committed_database)
    env_settings.setattr("sys.stdin", io.StringIO("a-long-password\n"))

    created = main(["create-admin", "--email", email, "--password-stdin"])
    env_settings.setattr("sys.stdin", io.StringIO("another-password\n"))
    again = main(["create-admin", "--email", email, "--password-stdin"])

    captured = capsys.readouterr()
    assert created == 0
    assert "created ADMIN user" in captured.out
    assert again == 1
    assert "a user with this email exists" in captured.err


def test_create_admin_explains_a_short_password_and_a_missing_one(
    capsys: pytest.CaptureFixture[str], env_settings: pytest.MonkeyPatch
) -> None:
    env_settings.delenv("FIELDGRAPH_ADMIN_PASSWORD", raising=False)
    env_settings.setattr("sys.stdin", io.StringIO(""))
    missing = main(["create-admin", "--email", "a@example.com"])
    env_settings.setenv("FIELDGRAPH_ADMIN_PASSWORD", "short")
    short = main(["create-admin", "--email", "a@example.com"])

    err = capsys.readouterr().err
    assert (missing, short) == (2, 2)
    assert "--password-stdin" in err
    assert "password: String should have at least 8 characters" in err


def test_serve_logs_the_address_it_really_listens_on(tmp_path: Path) -> None:
    env = {**os.environ, "RUN_JOBS": "false", "LOG_JSON": "false", "ENV": "test"}
    line = ""
    with subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            deadline = time.monotonic() + 60
            while "listening on" not in line and time.monotonic() < deadline:
                line = server.stdout.readline()
                if not line and server.poll() is not None:
                    break
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)

    address = re.search(r"listening on http://127\.0\.0\.1:(\d+)/graphql", line)
    assert address is not None, line
    assert int(address.group(1)) > 0


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_announces_the_port_it_serves_on() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8123"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "http://127.0.0.1:8123/graphql" in dry_run.stdout
    assert "http://127.0.0.1:8000/graphql" not in dry_run.stdout


def test_migrate_says_where_it_looked_when_it_finds_no_migrations(
    capsys: pytest.CaptureFixture[str], env_settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_settings.setenv("MIGRATIONS_DIR", str(tmp_path / "nowhere"))

    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "nowhere") in err
    assert "set MIGRATIONS_DIR" in err


def test_migrations_are_found_from_the_working_directory_outside_a_checkout(
    env_settings: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from app.core import bootstrap

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "env.py").write_text("")
    env_settings.delenv("MIGRATIONS_DIR", raising=False)
    env_settings.setattr(bootstrap, "REPO_ROOT", tmp_path / "site-packages")
    env_settings.chdir(tmp_path)

    assert bootstrap.migrations_dir() == tmp_path / "migrations"
    config = bootstrap.alembic_config("postgresql+asyncpg://postgres@127.0.0.1/x")
    assert config.get_main_option("script_location") == str(tmp_path / "migrations")
