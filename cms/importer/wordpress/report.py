"""What a WordPress import did with every item of the export: the import report.

Each ``<item>`` ends as exactly one :class:`ItemOutcome`:

=============  ==============================================================
``created``    a new page (or, for an attachment, a new library file)
``updated``    an earlier import's page, rewritten because the item changed
``unchanged``  an earlier import's page; the item is the same, nothing written
``merged``     folded into something else (an attachment already in the library)
``skipped``    not imported, with its ``reason``; ``expected`` is False when
               content was lost (a missing upload, an unknown post type)
``failed``     the item raised an error; nothing of it was kept
=============  ==============================================================

``WpReport.as_json()`` is the ``--report FILE`` document.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ItemOutcome:
    post_id: int
    post_type: str
    status: str
    title: str
    outcome: str
    reason: str = ""
    expected: bool = True
    page_id: int | None = None
    url: str = ""


@dataclass
class WpReport:
    """Counts and per-item outcomes of one ``import_wordpress`` run."""

    source: str
    dry_run: bool = False
    items: list[ItemOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    redirects: int = 0
    comments: int = 0
    comments_skipped: int = 0
    images: int = 0
    documents: int = 0
    seconds: float = 0.0

    def add(self, outcome: ItemOutcome) -> None:
        self.items.append(outcome)

    @property
    def failed(self) -> list[ItemOutcome]:
        return [i for i in self.items if i.outcome == "failed"]

    @property
    def pages_made(self) -> int:
        return sum(
            1
            for i in self.items
            if i.post_type not in ("attachment",)
            and i.outcome in ("created", "updated", "unchanged")
        )

    def lost(self) -> list[ItemOutcome]:
        """Items whose content did not arrive: failed, or skipped unexpectedly."""
        return [i for i in self.items if i.outcome == "failed" or not i.expected]

    def summary(self) -> str:
        by_outcome = Counter(i.outcome for i in self.items)
        prefix = "dry run, nothing written: " if self.dry_run else ""
        return (
            f"{prefix}items {len(self.items)}: pages {self.pages_made} "
            f"(created {by_outcome['created']}, updated {by_outcome['updated']}, "
            f"unchanged {by_outcome['unchanged']}), merged {by_outcome['merged']}, "
            f"skipped {by_outcome['skipped']}, failed {by_outcome['failed']}; "
            f"redirects {self.redirects}, comments {self.comments}, images {self.images}, "
            f"documents {self.documents}, warnings {len(self.warnings)} ({self.seconds:.1f}s)"
        )

    def skip_reasons(self) -> dict[str, int]:
        """``{reason: count}`` of skipped items, most common first."""
        reasons = Counter(i.reason for i in self.items if i.outcome == "skipped")
        return dict(reasons.most_common())

    def as_json(self) -> dict[str, Any]:
        by_outcome = Counter(i.outcome for i in self.items)
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 2),
            "counts": {
                "items": len(self.items),
                "pages": self.pages_made,
                **{k: by_outcome[k] for k in ("created", "updated", "unchanged", "merged")},
                "skipped": by_outcome["skipped"],
                "failed": by_outcome["failed"],
                "redirects": self.redirects,
                "comments": self.comments,
                "comments_skipped": self.comments_skipped,
                "images": self.images,
                "documents": self.documents,
                "warnings": len(self.warnings),
            },
            "skipped_reasons": self.skip_reasons(),
            "items": [asdict(i) for i in self.items],
            "warnings": self.warnings,
        }
