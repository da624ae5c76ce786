"""A link checker for a built site: every internal href/src must resolve as the CDN would.

A link resolves when it names a file in the site, a directory with an
``index.html`` (pretty URLs), or a path a ``_redirects`` rule sends to one of those.
"""

from __future__ import annotations

from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from jamtail.rules import load_rules


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in ("href", "src") or (name == "srcset")):
                if name == "srcset":
                    self.links.extend(part.split()[0] for part in value.split(",") if part.strip())
                elif not (tag == "a" and name == "src"):
                    self.links.append(value)


def _exists(site: Path, path: str) -> bool:
    target = site / unquote(path).lstrip("/")
    return (target / "index.html").is_file() if path.endswith("/") else target.is_file()


def broken_links(site: Path) -> list[tuple[str, str]]:
    """``[(page, link)]`` for every internal link of every HTML file that does not resolve."""
    redirects, _ = load_rules(site)
    broken = []
    for html in sorted(site.rglob("*.html")):
        page_url = "/" + html.relative_to(site).as_posix()
        parser = _Links()
        parser.feed(html.read_text())
        for link in parser.links:
            parts = urlsplit(urljoin(page_url, link))
            if parts.scheme not in ("", "http", "https") or parts.netloc:
                continue
            path = parts.path
            if not path or _exists(site, path):
                continue
            target = next((t for r in redirects if (t := r.match(path)) is not None), None)
            if target and _exists(site, urlsplit(target).path):
                continue
            broken.append((page_url, link))
    return broken


def missing_ids(site: Path, broken: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(page path, fragment)`` of the build's broken ``(source, target)`` links whose
    target page exists but lacks the id: links broken by their fragment alone."""
    targets = (urlsplit(target) for _source, target in broken)
    return [
        (t.path, t.fragment)
        for t in targets
        if t.fragment and (site / t.path.lstrip("/") / "index.html").is_file()
    ]
