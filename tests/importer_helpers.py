"""Helpers for the importer tests: content folders and images written to tmp dirs."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from django.core.management import call_command
from PIL import Image as PILImage

FIXTURES = Path(__file__).resolve().parent / "importer_fixtures"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (text is dedented); return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def make_png(path: Path, color: str = "red", size: tuple[int, int] = (40, 20)) -> Path:
    """Write a small real PNG (Pillow) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", size, color).save(path, "PNG")
    return path


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """Copy ``tests/importer_fixtures/<name>`` into ``tmp_path`` (tests may then edit it)."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def run_command(*args: str) -> tuple[str, str, BaseException | None]:
    """Run ``manage.py import_markdown`` in-process; return (stdout, stderr, error)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    error: BaseException | None = None
    try:
        call_command("import_markdown", *args, stdout=out, stderr=err)
    except Exception as exc:
        error = exc
    return out.getvalue(), err.getvalue(), error
