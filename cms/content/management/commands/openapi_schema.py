"""``manage.py openapi_schema [--output FILE] [--check]``: write or check the API contract.

Writes :func:`cms.content.openapi.build_schema` as indented JSON (default
``docs/openapi.json``). With ``--check`` it writes nothing and exits with an
error when the file differs from what the code serves (CI, tests).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cms.content.openapi import build_schema

DEFAULT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def render() -> str:
    """The schema as the checked-in file holds it (sorted keys off: the order is the author's)."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write (or --check) the OpenAPI 3.1 schema of the content API: docs/openapi.json."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", default=str(DEFAULT), help="default: docs/openapi.json")
        parser.add_argument(
            "--check", action="store_true", help="fail when the file differs from the code"
        )

    def handle(self, *args: Any, output: str, check: bool, **options: Any) -> None:
        text = render()
        path = Path(output)
        if check:
            current = path.read_text() if path.exists() else ""
            if current != text:
                raise CommandError(
                    f"{path} is out of date with the API the code serves: "
                    "run `manage.py openapi_schema` and commit it"
                )
            self.stdout.write(f"{path} matches the code")
            return
        path.write_text(text)
        self.stdout.write(f"wrote {path}")
