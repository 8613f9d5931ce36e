"""Finding what each domain contributes by convention: `app/<domain>/<name>.py`."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from types import ModuleType


def domain_modules(name: str) -> list[ModuleType]:
    """The `app.<domain>.<name>` modules that exist, in domain order (core excluded)."""
    import app

    found = []
    for package in sorted(pkgutil.iter_modules(app.__path__), key=lambda m: m.name):
        qualified = f"app.{package.name}.{name}"
        if package.ispkg and package.name != "core" and importlib.util.find_spec(qualified):
            found.append(importlib.import_module(qualified))
    return found


def load_domain_settings() -> None:
    """Build every domain's settings (`app.<domain>.settings`, through its cached
    `get_*_settings`) now: a production server with a missing or development secret stops at
    startup, naming it, instead of failing the first request that reads the group."""
    for module in domain_modules("settings"):
        for name, value in vars(module).items():
            if name.startswith("get_") and name.endswith("_settings") and callable(value):
                value()
