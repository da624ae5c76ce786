"""``manage.py import_markdown DIR [--parent PATH] [--slug SLUG] [--static DIR]... [--dry-run]
[--format FAMILY] [--config FILE] [--trust-html] [--report FILE] [--strict] [--renditions]``.

A thin wrapper over :func:`cms.importer.import_directory`: warnings, skipped
files and failures go to stderr as ``path: reason`` lines, the counts to
stdout, ``--report FILE`` gets the whole report as JSON, and the command exits
non-zero (``CommandError``) unless every content file became a page
(``--strict``: and nothing was skipped and nothing warned).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cms.importer import ImporterError, import_directory
from cms.importer.families import FAMILIES
from cms.importer.report import PAGE, SKIPPED
from jamtail.progress import ProgressBar


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
        parser.add_argument(
            "--static",
            action="append",
            type=Path,
            default=[],
            metavar="DIR",
            help="A folder site-absolute asset paths (/img/x.png) resolve in; repeatable.",
        )
        parser.add_argument(
            "--format",
            choices=FAMILIES,
            help="The site family (default: detected from the folder and its config files).",
        )
        parser.add_argument(
            "--config",
            type=Path,
            metavar="FILE",
            help="The site's config (hugo.toml, _config.yml, ...) for permalinks and site.*.",
        )
        parser.add_argument(
            "--report", type=Path, metavar="FILE", help="Write the import report as JSON."
        )
        parser.add_argument(
            "--trust-html",
            action="store_true",
            help="Keep inline HTML as written (default: sanitised with nh3; see docs/security.md).",
        )
        parser.add_argument(
            "--renditions",
            action="store_true",
            help="Make new images' renditions during the import (default: the build's first use).",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Fail when any file is skipped or any warning is reported.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = ProgressBar("Importing")
        try:
            report = import_directory(
                options["directory"],
                parent_path=options["parent"],
                slug=options["slug"],
                dry_run=options["dry_run"],
                static_dirs=options["static"],
                family=options["format"],
                config_path=options["config"],
                trust_html=options["trust_html"],
                progress=bar,
                renditions=options["renditions"],
            )
        except ImporterError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if options["report"]:
            options["report"].write_text(report.to_json(), encoding="utf-8")
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for skipped in report.files:
            if skipped.outcome == SKIPPED:
                self.stderr.write(f"skipped: {skipped.path}: {skipped.reason}")
        for skipped_redirect in report.skipped_redirects:
            self.stderr.write(f"skipped redirect: {skipped_redirect}")
        for error in report.failed:
            self.stderr.write(str(error))
        self.stdout.write(report.summary())
        if not report.ok(strict=options["strict"]):
            if report.failed:
                raise CommandError(f"{len(report.failed)} file(s) failed to import")
            lost = [f for f in report.content_files() if f.outcome != PAGE]
            if lost:
                raise CommandError(f"{len(lost)} content file(s) were not imported (see skipped)")
            raise CommandError("--strict: files were skipped or warnings reported")
