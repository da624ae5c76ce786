"""The deploy's side of the link check: refuse a site that adds broken internal links.

A build records its broken links in its manifest (:mod:`jamtail.write.manifest`).
Before a deploy changes anything, the links the new site breaks are compared
with the live site's: links already broken there (say, from imported
content) do not block a deploy, a link the new site breaks that the live
site does not is refused, named, unless the operator allows it
(``--allow-broken-links``).

What "the live site's" list is: the one the target reports
(:meth:`~jamtail.deploy.base.DeployBackend.live_broken_links`: the local
target reads its live release's manifest); when the target cannot tell
(Netlify, S3) or nothing is live yet, the list of the site the build
replaced in its output directory (``broken_links_before``), which is the
live one when every build is deployed, as the build runner does. The very
first build of a site replaces nothing: its deploy is not refused (there
is no live site to keep links working on), and its broken links become the
baseline, so a site imported with broken links can go live and only links
broken later are refused.
"""

from __future__ import annotations

from jamtail.exceptions import BrokenLinksError
from jamtail.links.check import BrokenLink
from jamtail.write.manifest import MANIFEST_NAME, Manifest

#: New broken links named in the refusal; the exception carries them all.
LISTED = 100


def new_broken_links(
    manifest: Manifest | None, live: list[tuple[str, str]] | None
) -> list[BrokenLink]:
    """The broken links of the site ``manifest`` describes that are not in ``live``.

    ``live``: the live site's ``(source, target)`` pairs; ``None`` when
    unknown (the manifest's ``broken_links_before`` stand in; when it has
    none either, the build replaced no site and nothing is new). A site
    built before the link check existed (no ``broken_links``) has none to report.
    """
    if manifest is None or manifest.broken_links is None:
        return []
    baseline = live if live is not None else manifest.broken_links_before
    if baseline is None:
        return []
    known = set(baseline)
    return [BrokenLink(s, t) for s, t in sorted(manifest.broken_links) if (s, t) not in known]


def refuse_new_broken_links(
    manifest: Manifest | None, live: list[tuple[str, str]] | None, target: str
) -> None:
    """Raise :class:`BrokenLinksError` naming each link :func:`new_broken_links` finds."""
    new = new_broken_links(manifest, live)
    if not new:
        return
    lines = "\n".join(f"  {link}" for link in new[:LISTED])
    if len(new) > LISTED:
        lines += (
            f"\n  ... and {len(new) - LISTED} more (every broken link is listed under"
            f" broken_links in the site's {MANIFEST_NAME})"
        )
    raise BrokenLinksError(
        f"refused to deploy to {target}: the build has {len(new)} broken internal "
        f"link{'s' if len(new) != 1 else ''} that the live site does not have "
        f"(page -> link):\n{lines}\n"
        "Fix the links (or publish the pages they lead to) and build again, or deploy "
        "anyway with --allow-broken-links.",
        [(link.source, link.target) for link in new],
    )
