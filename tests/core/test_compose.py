"""compose.yaml as written starts: every setting production requires is given (from `.env`,
whose example lists the secrets), and the replicated API binds no fixed host port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\$\{(\w+)(?::?([?-])([^}]*))?\}")

CHECK_SETTINGS = """
import inspect
from pydantic_settings import BaseSettings
from app.core.config import Settings
from app.core.discovery import domain_modules

classes = {Settings}
for module in domain_modules("settings"):
    classes |= {
        value for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, BaseSettings) and value is not BaseSettings
    }
for cls in sorted(classes, key=lambda c: c.__name__):
    cls()
print("ok", len(classes))
"""


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return loaded


def example_env() -> dict[str, str]:
    """`.env` as the example's instructions make it: every empty value becomes a secret."""
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values[name.strip()] = value or f"secret-for-{name.strip().lower()}-" + "x" * 32
    return values


def interpolate(value: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if name in env and (env[name] or kind != "-"):
            return env[name]
        assert kind == "-", f"${{{name}}} is required but .env.example does not define it"
        return rest

    return VARIABLE.sub(one, value)


def service_environment(name: str, env: dict[str, str]) -> dict[str, str]:
    service = compose()["services"][name]
    environment = {k: interpolate(str(v), env) for k, v in service["environment"].items()}
    if ".env" in service.get("env_file", []):
        environment = {**env, **environment}
    return environment


def image_environment() -> dict[str, str]:
    """The ENV lines of the Dockerfile's runtime stage."""
    runtime = (REPO / "Dockerfile").read_text().split("AS runtime", 1)[1]
    block = re.search(r"^ENV (.+?)(?<!\\)$", runtime, re.MULTILINE | re.DOTALL)
    assert block is not None
    pairs = re.findall(r"(\w+)=(\S+)", block.group(1).replace("\\\n", " "))
    return {k: v for k, v in pairs if k != "PATH"}


def test_every_variable_compose_requires_is_in_the_env_example() -> None:
    text = (REPO / "compose.yaml").read_text()
    required = {name for name, kind, _ in VARIABLE.findall(text) if kind == "?"}

    assert required <= set(example_env())
    assert "JWT_SECRET" in required


def test_the_api_and_migration_services_start_with_production_settings() -> None:
    env = example_env()
    for service in ("api", "migrate", "worker"):
        environment = {**image_environment(), **service_environment(service, env)}
        assert environment["ENV"] == "prod"
        result = subprocess.run(
            [sys.executable, "-c", CHECK_SETTINGS],
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **environment},
            cwd=REPO / "migrations",  # a directory without a .env file
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{service}: {result.stderr[-1500:]}"


def test_a_missing_secret_stops_production_settings() -> None:
    env = example_env()
    environment = {**image_environment(), **service_environment("api", env)}
    del environment["NOTIFICATIONS_LINK_SECRET"]
    result = subprocess.run(
        [sys.executable, "-c", CHECK_SETTINGS],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **environment},
        cwd=REPO / "migrations",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "NOTIFICATIONS_LINK_SECRET" in result.stderr


def test_the_api_is_replicated_behind_a_proxy_with_no_fixed_host_port() -> None:
    services = compose()["services"]
    api = services["api"]

    assert api["deploy"]["replicas"] >= 2
    for name, service in services.items():
        replicated = service.get("deploy", {}).get("replicas", 1) > 1
        for port in service.get("ports", []) if replicated else []:
            assert ":" not in str(port), f"{name} binds a fixed host port: {port}"
    caddyfile = compose()["configs"]["caddyfile"]["content"]
    assert "dynamic a api 8000" in caddyfile  # every replica, as many as --scale starts
    assert "lb_try_duration" in caddyfile  # a stopping replica's requests go to another
    assert services["proxy"]["configs"][0]["source"] == "caddyfile"
    assert services["api"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert api["command"] == ["fieldgraph", "serve"]
    assert "/srv/var/attachments" in " ".join(api["volumes"])


def test_workers_run_the_background_jobs_and_the_api_runs_none() -> None:
    services = compose()["services"]
    worker, env = services["worker"], example_env()

    assert worker["command"] == ["fieldgraph", "worker"]
    assert worker["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert worker["deploy"]["replicas"] >= 2
    assert service_environment("api", env)["RUN_JOBS"] == "false"


def test_a_stopping_replica_is_given_longer_than_its_grace_period() -> None:
    api = compose()["services"]["api"]
    grace = float(interpolate(str(api["environment"]["SHUTDOWN_GRACE_SECONDS"]), {}))
    stop_grace = api["stop_grace_period"]

    assert stop_grace.endswith("s") and float(stop_grace[:-1]) > grace
