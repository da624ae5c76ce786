"""``manage.py import_markdown DIR [--parent PATH] [--slug SLUG] [--dry-run]``.

A thin wrapper over :func:`cms.importer.import_directory`: failures go to
stderr as ``path: reason`` lines, the counts to stdout, and the command exits
non-zero (``CommandError``) when any file failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cms.importer import ImporterError, import_directory


class Command(BaseCommand):
    help = "Import a Zola/Hugo/Jekyll content folder of Markdown files as Wagtail pages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="The content folder to import.")
        parser.add_argument(
            "--parent",
            default="/",
            help="URL path of the page to import under (default: the site's home page).",
        )
        parser.add_argument("--slug", help="Slug of the section made from DIR/_index.md.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Parse and plan everything; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_directory(
                options["directory"],
                parent_path=options["parent"],
                slug=options["slug"],
                dry_run=options["dry_run"],
            )
        except ImporterError as exc:
            raise CommandError(str(exc)) from exc
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for error in report.failed:
            self.stderr.write(str(error))
        self.stdout.write(report.summary())
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) failed to import")
