"""Template filters of the Builds screen: durations for people, and links to the live site."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def seconds(value: float | int | None) -> str:
    """A duration in seconds for people: ``0.4 s``, ``12 s``, ``2 min 5 s``, ``1 h 3 min``.

    Empty for ``None`` (not known yet).
    """
    if value is None or value == "":
        return ""
    value = float(value)
    if value < 10:
        return f"{value:.1f} s"
    if value < 60:
        return f"{value:.0f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.simple_tag
def live_url(build, site_url: str, path: str = "/") -> str:
    """The address of ``path`` on the deployed site of ``build`` (empty when none is known).

    ``site_url``: the site's base URL from its settings, used when the deploy
    reported no web address (a local deploy reports a ``file:`` URL).
    """
    base = build.site_url(site_url)
    return base + (path if path.startswith("/") else "/" + path) if base else ""
