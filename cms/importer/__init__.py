"""Import Zola, Hugo and Jekyll content folders into Wagtail pages.

The pipeline, one module per stage::

    frontmatter.py  a file's text      -> Document (front matter, dates, authors...)
    markdown.py     Markdown tokens    -> StreamField block data / rich text (pure)
    plan.py         a content folder   -> ImportPlan (tree, slugs, local files, digests)
    media.py        local files        -> Wagtail images and documents (deduplicated)
    importer.py     an ImportPlan      -> pages, revisions, redirects; ImportReport
    errors.py       SourceError (one file failed), TargetError (nothing can be written)

``import_directory()`` runs it all; ``manage.py import_markdown`` wraps it.
"""

from .errors import ImporterError, SourceError, TargetError
from .importer import import_directory
from .report import FileOutcome, ImportReport

__all__ = [
    "FileOutcome",
    "ImportReport",
    "ImporterError",
    "SourceError",
    "TargetError",
    "import_directory",
]
