"""The link check: every internal link of a build leads somewhere, or the deploy says so.

    store    what the check remembers between builds (store.py)
    check    the build stage: the site's broken links, checked incrementally (check.py)
    gate     a deploy refuses links broken since the live site (gate.py)

Hugo only warns about broken links; a Jamtail deploy that would add one to
the live site is refused, naming each, unless ``--allow-broken-links``.
A page's links are read from its HTML by :mod:`jamtail.render.links`,
where the render workers read them from the HTML in hand.
"""

from __future__ import annotations

from jamtail.links.check import FUNCTION_PATHS, BrokenLink, LinkReport, check_links, site_origin
from jamtail.links.store import LinkStore

__all__ = [
    "FUNCTION_PATHS",
    "BrokenLink",
    "LinkReport",
    "LinkStore",
    "check_links",
    "site_origin",
]
