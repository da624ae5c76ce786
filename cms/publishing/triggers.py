"""What caused a build, in the words editors use: from the outbox's event names to triggers.

Events are what the signal handlers record (``publish``, ``image_change``,
``comment_approve``, ...; see ``signal_handlers.py``); a build that claims
several changes is triggered by each of their kinds, in the order they came:
``publish, comment``. Builds nobody's change caused say ``manual`` (Rebuild
now), ``retry`` (of a failed build) or ``runner`` (started by a build runner).
"""

from __future__ import annotations

from collections.abc import Iterable

MANUAL, RETRY = "manual", "retry"

#: event (or its prefix before ``_``) -> trigger
TRIGGERS = {
    "publish": "publish",
    "slug_change": "publish",  # Wagtail sends it while publishing a new slug
    "publish_scheduled": "schedule",
    "unpublish": "unpublish",
    "unpublish_expired": "schedule",
    "move": "move",
    "delete": "delete",
    "privacy": "privacy",
    "image": "image",
    "document": "document",
    "author": "snippet",
    "settings": "snippet",
    "redirect": "snippet",
    "tag": "snippet",
    "comment": "comment",
    "site": "site",
    "import": "import",
}
MAX_LENGTH = 50  # BuildRecord.trigger


def trigger_of(event: str) -> str:
    """The trigger word for one event: ``image_change`` -> ``image``; unknown events as they are."""
    return TRIGGERS.get(event) or TRIGGERS.get(event.split("_", 1)[0]) or event


def trigger_for(events: Iterable[str]) -> str:
    """The triggers of ``events``, each once, in order: ``"publish, comment"``.

    At most :data:`MAX_LENGTH` characters; what does not fit is counted (``+2``).
    """
    kinds = list(dict.fromkeys(trigger_of(e) for e in events))
    if "delete" in kinds and "unpublish" in kinds:
        kinds.remove("unpublish")  # Wagtail unpublishes a live page it deletes
    text = ", ".join(kinds)
    shown = len(kinds)
    while len(text) > MAX_LENGTH and shown > 1:
        shown -= 1
        text = f"{', '.join(kinds[:shown])} +{len(kinds) - shown}"
    return text[:MAX_LENGTH]
