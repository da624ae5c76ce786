"""Where the third-party corpora live (``../shared/corpora``; read its README).

Used by the test fixtures, which skip without them, and by the benchmarks,
which exit with the same message. Never copy a corpus into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def corpora_dir() -> Path:
    """``$JAMTAIL_CORPORA`` or ``../shared/corpora`` next to the repository."""
    return Path(os.environ.get("JAMTAIL_CORPORA", REPO.parent / "shared" / "corpora"))


def rust_blog_content() -> Path:
    """The Rust blog's ``content`` folder (754 Markdown posts); it may not exist."""
    return corpora_dir() / "rust-blog" / "content"


def missing_message(path: Path) -> str:
    """Why a test skips or a benchmark stops when ``path`` is absent."""
    return f"third-party corpus not found at {path} (set JAMTAIL_CORPORA)"
