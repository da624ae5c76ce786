"""``manage.py import_wordpress FILE [FILE...] [--uploads DIR] [--parent PATH] [--section-slug SLUG]
[--post-types TYPES] [--dry-run] [--report FILE] [--strict]``.

A thin wrapper over :func:`cms.importer.wordpress.import_wordpress`: warnings and
failed or lost items go to stderr, the counts and skip reasons to stdout, the whole
report to ``--report FILE`` as JSON. Several FILEs are the parts ``wp export``
split one site's export into, read as one. Exits non-zero (``CommandError``) when an item
failed, and with ``--strict`` also when any warning was raised or any content was
lost (a missing upload, an unknown post type); skips by design (menu items,
revisions) never fail an import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cms.importer import ImporterError
from cms.importer.wordpress import WxrError, import_wordpress


class Command(BaseCommand):
    help = "Import a WordPress export (WXR) and its uploads as Wagtail pages, images and comments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            type=Path,
            nargs="+",
            help="The WXR export (Tools > Export in WordPress), or all the files "
            "`wp export` split it into.",
        )
        parser.add_argument(
            "--uploads", type=Path, help="The site's wp-content/uploads folder (or the site root)."
        )
        parser.add_argument(
            "--parent", default="/", help="URL path of the page to import under (default: home)."
        )
        parser.add_argument(
            "--section-slug",
            default="blog",
            help="Slug of the posts section made when --parent is not a section (default: blog).",
        )
        parser.add_argument(
            "--post-types",
            default="",
            help="Custom post types to import as articles, comma-separated "
            "(e.g. portfolio,product); each gets a section of its own.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Do everything; keep nothing.")
        parser.add_argument("--report", type=Path, help="Write the full report here as JSON.")
        parser.add_argument(
            "--strict", action="store_true", help="Fail on any warning or lost item."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_wordpress(
                options["file"],
                uploads=options["uploads"],
                parent_path=options["parent"],
                section_slug=options["section_slug"],
                dry_run=options["dry_run"],
                post_types=options["post_types"].split(","),
            )
        except (ImporterError, WxrError) as exc:
            raise CommandError(str(exc)) from exc
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for item in report.lost():
            self.stderr.write(
                f"{item.outcome}: {item.post_type} #{item.post_id} {item.title!r}: {item.reason}"
            )
        for reason, count in report.skip_reasons().items():
            self.stdout.write(f"skipped {count}: {reason}")
        if options["report"]:
            options["report"].write_text(json.dumps(report.as_json(), indent=2, default=str))
        self.stdout.write(report.summary())
        if report.failed:
            raise CommandError(f"{len(report.failed)} item(s) failed to import")
        if options["strict"] and (report.warnings or report.lost()):
            raise CommandError(
                f"--strict: {len(report.warnings)} warning(s), {len(report.lost())} item(s) lost"
            )
