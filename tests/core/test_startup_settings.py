"""A production server checks every settings group when it starts, not on first use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START = "from app.main import create_app; create_app(); print('started')"
SECRETS = {
    "CHATBOT_SECRET": "a-production-chatbot-webhook-secret",
    "JWT_SECRET": "a-production-jwt-secret-long-enough-for-hs256",
    "NOTIFICATIONS_CALLBACK_SECRET": "a-production-callback-secret",
    "NOTIFICATIONS_LINK_SECRET": "a-production-link-secret",
    "PAYMENT_LINK_SECRET": "a-production-payment-link-secret",
    "PAYMENT_PROVIDER_SECRET": "a-production-provider-secret",
    "RENEWALS_OFFER_LINK_SECRET": "a-production-offer-link-secret",
}


def start(**environment: str) -> subprocess.CompletedProcess[str]:
    kept = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "ENV"}
    return subprocess.run(
        [sys.executable, "-c", START],
        cwd=REPO,
        env={**kept, "ENV": "prod", "RUN_JOBS": "false", **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_with_the_development_payment_secrets_stops_at_startup() -> None:
    refused = start(**{k: v for k, v in SECRETS.items() if not k.startswith("PAYMENT_")})

    assert refused.returncode != 0 and "started" not in refused.stdout
    assert "PAYMENT_LINK_SECRET" in refused.stderr


def test_production_with_the_development_offer_link_secret_stops_at_startup() -> None:
    refused = start(**{k: v for k, v in SECRETS.items() if not k.startswith("RENEWALS_")})

    assert refused.returncode != 0 and "RENEWALS_OFFER_LINK_SECRET" in refused.stderr


def test_production_with_every_secret_set_starts() -> None:
    started = start(**SECRETS)

    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout


def test_production_with_the_development_chatbot_secret_stops_at_startup() -> None:
    refused = start(**{k: v for k, v in SECRETS.items() if k != "CHATBOT_SECRET"})

    assert refused.returncode != 0 and "CHATBOT_SECRET" in refused.stderr
