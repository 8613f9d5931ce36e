"""The container image's path, without Docker: the Dockerfile's steps in a temporary directory.

A venv from `requirements/base.txt` only, the wheel built by `pip wheel --no-deps`, a working
directory holding `alembic.ini` and `migrations/` that the server may not write to (it runs as
an unprivileged user when the suite runs as root), then `fieldgraph migrate` and `fieldgraph
serve` with the production settings against a fresh database, until `/readyz` answers.
pip's cache is used, so after the first run only the wheel is built afresh.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.core import bootstrap
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.image

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "app", "schema", "resolvers", "subscriptions")
NOBODY = 65534
PIP_TIMEOUT = 900
START_TIMEOUT = 90


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: float, **kw: object) -> str:
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, **kw
    )  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    output: str = result.stdout + result.stderr
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def drop_database(url: str) -> None:
    admin = await asyncpg.connect(bootstrap._plain_dsn(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="fieldgraph-image-"))
    root.chmod(0o755)  # the unprivileged server user must reach the venv and /srv
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    url = make_url(TEST_DATABASE_URL)
    image = url.set(database=f"{url.database}_image").render_as_string(hide_password=False)
    asyncio.run(drop_database(image))
    yield image
    asyncio.run(drop_database(image))


def build_env(root: Path) -> dict[str, str]:
    """What the build stage has: no PYTHONPATH pointing at the sources, pip's cache allowed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PATH"] = f"{root / 'venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def runtime_env(root: Path, database: str, port: int) -> dict[str, str]:
    """The runtime stage's ENV lines, with test secrets for what compose passes from `.env`."""
    env = {
        "PATH": f"{root / 'venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root / "srv"),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "ENV": "prod",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_JSON": "true",
        "MIGRATIONS_DIR": str(root / "srv" / "migrations"),
        "ATTACHMENTS_DIR": str(root / "srv" / "var" / "attachments"),
        "DATABASE_URL": database,
        "RUN_JOBS": "false",
    }
    example = REPO / ".env.example"
    for line in example.read_text().splitlines():
        name, sep, _ = line.partition("=")
        if sep and not line.startswith("#"):
            env[name.strip()] = f"image-test-{name.strip().lower()}-" + "x" * 32
    return env


def build_image_venv(root: Path) -> None:
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, src / name)
    (src / "requirements").mkdir()
    shutil.copy2(REPO / "requirements" / "base.txt", src / "requirements" / "base.txt")
    env = build_env(root)
    run([interpreter(), "-m", "venv", str(root / "venv")], env, src, 120)
    pip = str(root / "venv" / "bin" / "pip")
    run([pip, "install", "-q", "-r", "requirements/base.txt"], env, src, PIP_TIMEOUT)
    run([pip, "wheel", "-q", "--no-deps", "--wheel-dir", str(root / "wheels"), "."], env, src, 300)
    (wheel,) = (root / "wheels").glob("fieldgraph-*.whl")
    run([pip, "install", "-q", "--no-deps", str(wheel)], env, src, 120)


def lay_out_srv(root: Path) -> Path:
    srv = root / "srv"
    srv.mkdir()
    shutil.copy2(REPO / "alembic.ini", srv / "alembic.ini")
    shutil.copytree(
        REPO / "migrations", srv / "migrations", ignore=shutil.ignore_patterns("__pycache__")
    )
    attachments = srv / "var" / "attachments"
    attachments.mkdir(parents=True)
    for path in [root, root / "venv", *(root / "venv").rglob("*"), *srv.rglob("*"), srv]:
        path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))
    if os.geteuid() == 0:
        os.chown(srv / "var", NOBODY, NOBODY)
        os.chown(attachments, NOBODY, NOBODY)
    return srv


def reachable_by_others(path: str) -> bool:
    real = Path(os.path.realpath(path))
    return all(p.stat().st_mode & 0o001 for p in [real, *real.parents])


def interpreter() -> str:
    """A Python 3.11+ the unprivileged user may run (a venv links to it), else ours."""
    ours = getattr(sys, "_base_executable", sys.executable)
    for candidate in (ours, shutil.which("python3.11"), "/usr/bin/python3.11"):
        if candidate and os.path.exists(candidate) and reachable_by_others(candidate):
            return candidate
    return ours


def as_server_user(root: Path) -> dict[str, int]:
    """Run as `nobody` when we can, as the image runs as its own unprivileged user."""
    python = root / "venv" / "bin" / "python"
    if os.geteuid() == 0 and reachable_by_others(str(python)):
        return {"user": NOBODY, "group": NOBODY}
    return {}


def ready(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            body: dict[str, object] = json.loads(response.read())
            return body
    except OSError:
        return None


def test_the_image_venv_migrates_and_serves(workdir: Path, database: str) -> None:
    started = time.perf_counter()
    build_image_venv(workdir)
    built = time.perf_counter() - started
    srv = lay_out_srv(workdir)
    site = next((workdir / "venv" / "lib").glob("python3*/site-packages"))
    assert (site / "app" / "static" / "graphiql" / "index.html").is_file()
    assert not (site / "migrations").exists()

    port = free_port()
    env = runtime_env(workdir, database, port)
    migrated = run(["fieldgraph", "migrate"], env, srv, 300, **as_server_user(workdir))
    assert "database is at the latest migration" in migrated

    log = (workdir / "serve.log").open("w+")
    server = subprocess.Popen(
        ["fieldgraph", "serve"],
        env=env,
        cwd=srv,
        stdout=log,
        stderr=subprocess.STDOUT,
        **as_server_user(workdir),  # type: ignore[arg-type]
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        answer = None
        while answer is None and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.25)
            answer = ready(port)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.seek(0)
        output = log.read()
        log.close()

    who = "nobody" if as_server_user(workdir) else "the current user"
    print(
        f"image venv built in {built:.1f} s, ready as {who} "
        f"after {time.perf_counter() - started:.1f} s"
    )
    assert answer == {"status": "ready", "database": True, "broker": True}, output
    assert f"listening on http://127.0.0.1:{port}/graphql" in output
    assert "Traceback" not in output
