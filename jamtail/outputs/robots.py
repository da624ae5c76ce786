"""``robots.txt`` (RFC 9309): allow everything, point crawlers at the sitemap."""

from __future__ import annotations

from ..plan import SitePlan


def build_robots(plan: SitePlan) -> list[tuple[str, bytes]]:
    """Return ``[("robots.txt", bytes)]``."""
    lines = ["User-agent: *", "Disallow:", f"Sitemap: {plan.site['base_url']}/sitemap.xml", ""]
    return [("robots.txt", "\n".join(lines).encode())]
