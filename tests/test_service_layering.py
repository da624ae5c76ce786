"""``jamtail/service/`` imports only what its docstring allows; only ``cli`` imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import jamtail.service

REPO = Path(__file__).resolve().parents[1]
SERVICE = REPO / "jamtail" / "service"
ALLOWED_JAMTAIL = {"webhooks", "jsonlimits", "report", "exceptions", "settings"}
FORBIDDEN_TOP = {"django", "wagtail", "cms", "functions", "rest_framework"}


def imports(path: Path) -> list[tuple[int, str]]:
    """``(level, module)`` of every import in ``path`` (level 0: absolute)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level and not node.module:
                found += [(node.level, alias.name) for alias in node.names]
            else:
                found.append((node.level, node.module or ""))
    return found


def test_the_service_imports_only_what_its_docstring_allows():
    for name in ALLOWED_JAMTAIL:
        assert f"``{name}``" in (jamtail.service.__doc__ or "")
    for path in SERVICE.glob("*.py"):
        for level, module in imports(path):
            top = module.split(".")[0]
            if level == 2 or (level == 0 and top == "jamtail" and module != "jamtail"):
                inside = module if level == 2 else module.removeprefix("jamtail.")
                assert inside.split(".")[0] in ALLOWED_JAMTAIL | {"service"}, (path.name, module)
            assert level > 2 or top not in FORBIDDEN_TOP, (path.name, module)


def test_nothing_in_jamtail_but_the_cli_imports_the_service():
    for path in (REPO / "jamtail").rglob("*.py"):
        if SERVICE in path.parents or path.name == "cli.py":
            continue
        for level, module in imports(path):
            assert "service" not in module.split("."), (path, level, module)
