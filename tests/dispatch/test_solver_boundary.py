"""The pure solver imports nothing from the service: imports go one way, into the package."""

import ast
from pathlib import Path

SOLVER = Path(__file__).resolve().parents[2] / "app" / "dispatch" / "solver"


def _app_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "app" or name.startswith("app.")}


def test_solver_modules_import_only_the_solver_package() -> None:
    modules = sorted(SOLVER.glob("*.py"))
    assert len(modules) >= 10
    outside = {
        path.name: sorted(
            name for name in _app_imports(path) if not name.startswith("app.dispatch.solver")
        )
        for path in modules
    }
    assert {name: found for name, found in outside.items() if found} == {}


def test_service_reaches_the_solver_through_its_package() -> None:
    flat = sorted(p.name for p in SOLVER.parent.glob("solver_*.py"))
    assert flat == []
