"""``robots.txt`` (RFC 9309): allow everything, point crawlers at the sitemap."""

from __future__ import annotations

from jamtail.plan.planner import SitePlan


def build_robots(plan: SitePlan) -> list[tuple[str, bytes]]:
    """Return ``[("robots.txt", bytes)]``.

    The ``Sitemap:`` line needs an absolute URL (sitemaps.org protocol): it is
    left out when the site has no base URL (the sitemap warns about that).
    """
    lines = ["User-agent: *", "Disallow:"]
    if plan.site["base_url"]:
        lines.append(f"Sitemap: {plan.site['base_url']}/sitemap.xml")
    lines.append("")
    return [("robots.txt", "\n".join(lines).encode())]
