"""Notification secrets in production: the development ones are refused, at startup."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.notifications.settings import DEV_CALLBACK_SECRET, NotificationSettings

CALLBACK, LINK = "NOTIFICATIONS_CALLBACK_SECRET", "NOTIFICATIONS_LINK_SECRET"
STRONG = "a-long-random-secret-from-the-vault-0123456789"


def settings_in(monkeypatch: pytest.MonkeyPatch, env: str, **secrets: str) -> NotificationSettings:
    monkeypatch.setenv("ENV", env)
    for name in (CALLBACK, LINK):
        monkeypatch.delenv(name, raising=False)
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    return NotificationSettings(_env_file=None)  # type: ignore[call-arg]


def test_production_refuses_the_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=f"set {CALLBACK} and {LINK}: .* refused when ENV=prod"):
        settings_in(monkeypatch, "prod")


def test_production_names_the_one_secret_left_at_its_development_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match=f"set {CALLBACK}: ") as refused:
        settings_in(monkeypatch, "prod", **{CALLBACK: DEV_CALLBACK_SECRET, LINK: STRONG})
    assert LINK not in str(refused.value)
    with pytest.raises(ValueError, match=f"set {LINK}: "):
        settings_in(monkeypatch, "prod", **{CALLBACK: STRONG, LINK: ""})


def test_production_takes_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in(monkeypatch, "prod", **{CALLBACK: STRONG, LINK: STRONG[::-1]})

    assert (settings.callback_secret, settings.link_secret) == (STRONG, STRONG[::-1])


def test_development_keeps_its_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_in(monkeypatch, "dev").callback_secret == DEV_CALLBACK_SECRET


START = "from app.main import create_app; create_app(); print('started')"


def test_a_production_server_does_not_start_with_them() -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NOTIFICATIONS_", "PAYMENT_", "JWT_", "RENEWALS_", "CHATBOT_"))
    }
    environment |= {
        "ENV": "prod",
        "RUN_JOBS": "false",
        "JWT_SECRET": STRONG,
        "PAYMENT_LINK_SECRET": STRONG,
        "PAYMENT_PROVIDER_SECRET": STRONG,
        "RENEWALS_OFFER_LINK_SECRET": STRONG,
        "CHATBOT_SECRET": STRONG,
    }
    refused = subprocess.run(
        [sys.executable, "-c", START], env=environment, capture_output=True, text=True
    )
    started = subprocess.run(
        [sys.executable, "-c", START],
        env=environment | {CALLBACK: STRONG, LINK: STRONG[::-1]},
        capture_output=True,
        text=True,
    )

    assert refused.returncode != 0 and f"set {CALLBACK} and {LINK}" in refused.stderr
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "started"
