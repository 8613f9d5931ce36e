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
