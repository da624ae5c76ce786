"""A progress bar for terminals (tqdm on stderr); silent when stderr is not a TTY."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm


class ProgressBar:
    """Callable ``(done, total)`` that draws a bar while rendering; ``close()`` when done.

    ``total=None``: a count without an end (the sync: the CMS does not say how
    many items will come). ``unit``: what is counted. ``delay``: seconds before
    the bar appears, so a step that ends at once draws nothing.
    """

    def __init__(
        self,
        label: str = "Rendering",
        enabled: bool | None = None,
        unit: str = "page",
        delay: float = 0.0,
    ):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.label, self.unit, self.delay = label, unit, delay
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm  # only when drawing: the runner's builds have no TTY

            self.bar = tqdm(
                total=total, desc=self.label, unit=self.unit, leave=False, delay=self.delay
            )
        self.bar.n = done
        if total is None or done == total or done % 25 == 0:
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
