"""What an import did with every file it saw: :class:`ImportReport`, plain data.

Shared by every importer (Markdown folders here, WordPress exports elsewhere):
each source file ends in exactly one :class:`FileOutcome`:

============  ===================================================================
``page``      the file became a page (``target`` is its key, then its URL path)
``resource``  the file was merged into a page: a bundle image or attachment
              (``target`` names the page's source file)
``skipped``   not imported, with ``reason`` (configuration, templates, a file
              no page references...)
``failed``    a content file that could not become a page, with ``reason``
============  ===================================================================

``ImportReport.ok(strict)`` is the rule for the exit code: every content file
became a page (and, when ``strict``, nothing was skipped and nothing warned).
``to_json()`` is the document ``--report FILE`` writes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import SourceError

PAGE, RESOURCE, SKIPPED, FAILED = "page", "resource", "skipped", "failed"


@dataclass
class FileOutcome:
    """One source file (``path``: POSIX, relative to the import root) and its fate."""

    path: str
    outcome: str
    reason: str = ""
    target: str = ""
    content: bool = False
    """True for a content file (Markdown): only these count towards ``ok()``."""


@dataclass
class ImportReport:
    """Counts and per-file outcomes of one import.

    ``failed`` holds a :class:`SourceError` per content file that did not become
    a page; ``warnings`` are ``"path[:line]: message"`` lines (nothing lost, but
    something a person should look at); ``files`` has every file seen.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    drafts: int = 0
    redirects: int = 0
    images: int = 0
    documents: int = 0
    raw_html_pages: int = 0
    """Pages whose inline HTML was kept as written (``--trust-html``)."""
    sanitised_pages: int = 0
    """Pages whose inline HTML went through the sanitiser (nh3), the default."""
    failed: list[SourceError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    skipped_redirects: list[str] = field(default_factory=list)
    """``"path: old URL: reason"`` for old URLs that got no redirect (reserved paths)."""
    source_broken_links: list[str] = field(default_factory=list)
    """``"path: href"`` for local links that name nothing in the source either."""
    seconds: float = 0.0
    dry_run: bool = False
    family: str = ""

    def summary(self) -> str:
        """One line of counts, e.g. ``created 5, updated 0, ... failed 0 (0.4s)``."""
        prefix = "dry run, nothing written: " if self.dry_run else ""
        pages = self.created + self.updated + self.unchanged
        rate = f", {pages / self.seconds:.0f} pages/s" if self.seconds > 0 and pages else ""
        skipped = sum(1 for f in self.files if f.outcome == SKIPPED)
        return (
            f"{prefix}created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, drafts {self.drafts}, redirects {self.redirects}, "
            f"images {self.images}, raw HTML pages {self.raw_html_pages}, "
            f"skipped {skipped}, warnings {len(self.warnings)}, "
            f"failed {len(self.failed)} ({self.seconds:.1f}s{rate})"
        )

    def content_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.content]

    def ok(self, strict: bool = False) -> bool:
        """True when every content file became a page (strict: and no skip, no warning)."""
        if self.failed or any(f.outcome != PAGE for f in self.content_files()):
            return False
        if strict:
            return (
                not self.warnings
                and not self.skipped_redirects
                and not any(f.outcome == SKIPPED for f in self.files)
            )
        return True

    def skipped_reasons(self) -> dict[str, int]:
        """How many files were skipped for each reason."""
        return dict(Counter(f.reason for f in self.files if f.outcome == SKIPPED))

    def to_json(self) -> str:
        """The whole report as a JSON document (``--report FILE``)."""
        data: dict[str, Any] = {
            "family": self.family,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
            "counts": {
                "files": len(self.files),
                "content_files": len(self.content_files()),
                "pages": sum(1 for f in self.files if f.outcome == PAGE),
                "resources": sum(1 for f in self.files if f.outcome == RESOURCE),
                "skipped": sum(1 for f in self.files if f.outcome == SKIPPED),
                "failed": len(self.failed),
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "drafts": self.drafts,
                "redirects": self.redirects,
                "skipped_redirects": len(self.skipped_redirects),
                "images": self.images,
                "documents": self.documents,
                "warnings": len(self.warnings),
                "raw_html_pages": self.raw_html_pages,
                "sanitised_pages": self.sanitised_pages,
            },
            "skipped_reasons": self.skipped_reasons(),
            "failed": [{"path": e.path, "reason": e.reason} for e in self.failed],
            "warnings": self.warnings,
            "skipped_redirects": self.skipped_redirects,
            "source_broken_links": self.source_broken_links,
            "files": [asdict(f) for f in self.files],
        }
        return json.dumps(data, indent=2, ensure_ascii=False)
