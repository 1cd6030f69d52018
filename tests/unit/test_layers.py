"""Layering rules, checked on the source: api/ knows HTTP, db/ knows SQL, and
services meet only through deploy.py (and, later, RPC and HTTP)."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2] / "nimbus"
SERVICES = ("identity", "placement", "image", "compute")


def imports(path: pathlib.Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(pattern: str) -> list[pathlib.Path]:
    return [p for p in ROOT.glob(pattern) if "__pycache__" not in p.parts]


def test_handlers_do_not_speak_sql():
    for path in modules("*/api/**/*.py") + modules("common/api/*.py"):
        bad = {m for m in imports(path) if m.split(".")[0] == "sqlalchemy"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_data_layer_does_not_speak_http():
    for path in modules("*/db/**/*.py"):
        bad = {m for m in imports(path) if m.split(".")[0] in ("starlette", "uvicorn", "httpx")
               or ".api" in m}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_services_do_not_import_each_other():
    for service in SERVICES:
        others = [s for s in SERVICES if s != service]
        for path in modules(f"{service}/**/*.py"):
            bad = {m for m in imports(path) if any(m.startswith(f"nimbus.{o}") for o in others)}
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_common_depends_on_no_service():
    for path in modules("common/**/*.py"):
        bad = {m for m in imports(path) if any(m.startswith(f"nimbus.{s}") for s in SERVICES)}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
