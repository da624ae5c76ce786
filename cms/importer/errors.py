"""The importer's exceptions.

::

    ImporterError              anything the importer reports as one clean line
    ├── SourceError            one source file cannot be imported (path, reason)
    └── TargetError            the import target (--parent, the site) is unusable

A ``SourceError`` fails only its own file; the rest of the import goes on.
A ``TargetError`` stops the whole import before anything is written.
"""

from __future__ import annotations


class ImporterError(Exception):
    """Base class: the message is one line, ready to print."""


class SourceError(ImporterError):
    """A source file (``path``, relative to the import root) failed for ``reason``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Pickled by the planning workers (parallel.py); the default passes the message only.
        return type(self), (self.path, self.reason)


class TargetError(ImporterError):
    """The parent page or site the import writes to is missing or unsuitable."""
