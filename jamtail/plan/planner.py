"""Plan: decide every HTML output of the site and the context it is rendered with.

Input is :class:`~jamtail.content.gather.Content` with media already localised; output
is a :class:`SitePlan`: a list of :class:`Output` (path, template, context)
plus the site-wide data the other outputs (sitemap, feeds) need. Nothing here
renders or writes; the planner is pure and can be timed alone.

URLs are "pretty": a page at ``/blog/hello/`` is written to
``blog/hello/index.html``; listing page *n* > 1 of ``/blog/`` is
``/blog/page/n/``; tags live at ``/tags/<slug>/``, authors at ``/authors/<slug>/``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from jamtail.content.gather import Content
from jamtail.exceptions import ContentError

ARTICLE = "ArticlePage"
# The page fields the planner reads to decide the outputs, their contexts' shape and the
# order of listings, or copies by value (a section's title into feeds, the navigation and
# the search filters). A change to any other field of a page changes only the outputs
# that show the page (see jamtail.build.patch); "title" orders articles of the same date.
STRUCTURAL_FIELDS = frozenset(
    {"id", "type", "url", "parent_url", "slug", "date", "order", "per_page", "description"}
    | {"tags", "authors", "title"}
)
SECTION = "SectionPage"
TAXONOMY_PER_PAGE = 20
RECENT_ON_HOME = 10
FEED_ENTRIES = 20


@dataclass
class Output:
    """One HTML file: written to ``path`` (relative, ``/``-separated) from ``template``."""

    path: str
    template: str
    context: dict[str, Any]
    source: str  # what it is made from, for error messages: "page 12 'Hello' (/blog/hello/)"


@dataclass
class SitePlan:
    """The planned site: HTML outputs and the data of the non-HTML outputs."""

    site: dict[str, Any]
    outputs: list[Output]
    pages: list[dict[str, Any]]  # every CMS page, tree order (sitemap)
    feeds: list[dict[str, Any]] = field(default_factory=list)  # {title,url,path,entries,...}
    redirects: list[dict[str, Any]] = field(default_factory=list)
    functions_url: str = ""  # JAMTAIL_FUNCTIONS_URL: _redirects rewrites /api/* and /preview to it


def template_name(page_type: str) -> str:
    """``ArticlePage`` -> ``article_page.html``: one template per page type."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", page_type).lower() + ".html"


def output_path(url: str) -> str:
    """``/blog/hello/`` -> ``blog/hello/index.html``; ``/`` -> ``index.html``.

    The URL's percent-encoding is decoded (``/blog/%E4%BD%A0/`` -> ``blog/你/index.html``):
    servers and CDNs look files up by the decoded path.
    """
    stripped = unquote(url).strip("/")
    return f"{stripped}/index.html" if stripped else "index.html"


def plan(content: Content, functions_url: str = "") -> SitePlan:
    """Plan the whole site; raise :class:`ContentError` for content that cannot be built.

    ``functions_url``: the deployed functions' base URL, for ``_redirects`` (none: "").
    """
    pages = content.pages
    by_url = {page["url"]: page for page in pages}
    if "/" not in by_url:
        raise ContentError("no page is served at '/': the site's root page is not live")
    authors, tags = decorate(pages, content.authors)
    children = defaultdict(list)
    for page in pages:
        if page["parent_url"] in by_url:
            children[page["parent_url"]].append(page)

    site = site_context(content.settings, children["/"])
    feeds = _feeds(site, pages, children)
    neighbours = _neighbours(children)
    outputs: list[Output] = []
    for page in pages:
        outputs.extend(_page_outputs(page, children, by_url, pages, neighbours))
    outputs.extend(_taxonomy_outputs("tag", tags, pages, lambda p: p.get("tags", [])))
    outputs.extend(_taxonomy_outputs("author", authors, pages, lambda p: p.get("authors", [])))
    outputs.append(
        Output(
            "404.html",
            "404.html",
            {"page": _virtual("Page not found", "/404.html", "ErrorPage")},
            "404 page",
        )
    )
    outputs.append(_search_output(pages, tags))
    # Only what templates link to: a context holding the feed's entries would
    # make every page depend on the newest articles (see jamtail.plan.incremental).
    site_feeds = [{"title": f["title"], "url": f["url"]} for f in feeds if f["site_wide"]]
    for output in outputs:
        output.context.setdefault("feeds", site_feeds)
    return SitePlan(
        functions_url=functions_url,
        site=site,
        outputs=outputs,
        pages=pages,
        feeds=feeds,
        redirects=content.redirects,
    )


def _search_output(pages: list[dict[str, Any]], tags: dict[str, dict[str, Any]]) -> Output:
    """``/search/``: the search form (answered by functions/search.py) and its filter choices."""
    sections = sorted(
        ({"url": p["url"], "title": p["title"]} for p in pages if p["type"] == SECTION),
        key=lambda s: s["url"],
    )
    choices = sorted(
        ({"slug": t["slug"], "name": t["name"]} for t in tags.values()),
        key=lambda t: (t["name"].lower(), t["slug"]),
    )
    context = {
        "page": _virtual("Search", "/search/", "SearchPage"),
        "search_sections": sections,
        "search_tags": choices,
    }
    return Output("search/index.html", "search.html", context, "search page")


def site_context(settings: dict[str, Any], top_level: list[dict[str, Any]]) -> dict[str, Any]:
    """The templates' ``site``: names and links from the settings, ``nav`` from ``top_level``."""
    return {
        "name": settings.get("site_name") or "Jamtail",
        "tagline": settings.get("tagline", ""),
        "description": settings.get("description", ""),
        "base_url": (settings.get("base_url") or "").rstrip("/"),
        "language": settings.get("language") or "en",
        "social_links": settings.get("social_links", []),
        "nav": [{"title": p["title"], "url": p["url"]} for p in top_level],
    }


def _authors(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        a["slug"]: {
            "name": a["name"],
            "slug": a["slug"],
            "url": f"/authors/{a['slug']}/",
            "bio": a.get("bio", ""),
            "website": a.get("url", ""),
            "avatar": a.get("avatar"),
        }
        for a in items
    }


def decorate(
    pages: Iterable[dict[str, Any]], author_items: Iterable[dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Give the pages' authors and tags their site URLs, in place.

    Returns the authors and the tags by slug. A page decorated alone is
    decorated as in a whole plan: a tag's name comes from the CMS's one tag
    of that slug, whichever page carries it.
    """
    authors = _authors(author_items)
    tags: dict[str, dict[str, Any]] = {}
    for page in pages:
        _decorate(page, authors, tags)
    return authors, tags


def _decorate(page: dict[str, Any], authors: dict, tags: dict) -> None:
    """Give authors and tags their site URLs (the API gives names and slugs)."""
    if "authors" in page:
        page["authors"] = [
            authors.get(a["slug"]) or {**a, "url": f"/authors/{a['slug']}/"}
            for a in page["authors"]
        ]
    if "tags" in page:
        page["tags"] = [
            tags.setdefault(
                t["slug"], {"name": t["name"], "slug": t["slug"], "url": f"/tags/{t['slug']}/"}
            )
            for t in page["tags"]
        ]


def _virtual(title: str, url: str, kind: str) -> dict[str, Any]:
    return {
        "id": None,
        "type": kind,
        "title": title,
        "url": url,
        "seo_title": "",
        "search_description": "",
    }


def newest_first(pages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Articles by date, newest first; ties broken by title for a stable order."""
    dated = sorted(pages, key=lambda p: p["title"].lower())
    return sorted(dated, key=lambda p: p.get("date") or dt.date.min, reverse=True)


def _listing_entries(section: dict[str, Any], kids: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = [k for k in kids if k["type"] != SECTION]
    return newest_first(entries) if section.get("order", "-date") == "-date" else entries


def paginate(url: str, count: int, per_page: int) -> list[dict[str, Any]]:
    """Pagination dicts for a listing at ``url`` with ``count`` entries (page 1 first)."""
    per_page = max(1, per_page)
    num_pages = max(1, math.ceil(count / per_page))
    urls = [url if n == 1 else f"{url}page/{n}/" for n in range(1, num_pages + 1)]
    numbers = [{"number": n, "url": u} for n, u in enumerate(urls, start=1)]
    return [
        {
            "number": n,
            "num_pages": num_pages,
            "per_page": per_page,
            "url": urls[n - 1],
            "has_prev": n > 1,
            "prev_url": urls[n - 2] if n > 1 else None,
            "has_next": n < num_pages,
            "next_url": urls[n] if n < num_pages else None,
            "pages": numbers,
        }
        for n in range(1, num_pages + 1)
    ]


def _neighbours(children) -> dict[int, tuple[Any, Any]]:
    """Article id -> (next, previous): its newer and older sibling, newest first.

    Sorted once per section, not once per article, so planning stays linear
    in the number of articles of a section.
    """
    result: dict[int, tuple[Any, Any]] = {}
    for kids in children.values():
        siblings = newest_first(k for k in kids if k["type"] == ARTICLE)
        for i, page in enumerate(siblings):
            newer = siblings[i - 1] if i > 0 else None
            older = siblings[i + 1] if i + 1 < len(siblings) else None
            result[page["id"]] = (newer, older)
    return result


def _page_outputs(page, children, by_url, pages, neighbours) -> list[Output]:
    template = template_name(page["type"])
    source = f"page {page['id']} {page['title']!r} ({page['url']})"
    kids = children[page["url"]]
    context: dict[str, Any] = {"page": page}
    if page["type"] == SECTION:
        entries = _listing_entries(page, kids)
        subsections = [k for k in kids if k["type"] == SECTION]
        feed = f"{page['url']}atom.xml" if any(e["type"] == ARTICLE for e in entries) else None
        per_page = int(page.get("per_page") or 10)
        result = []
        for p in paginate(page["url"], len(entries), per_page):
            start = (p["number"] - 1) * per_page
            ctx = {
                **context,
                "entries": entries[start : start + per_page],
                "pagination": p,
                "subsections": subsections,
            }
            if feed:
                ctx["feeds"] = [{"title": page["title"], "url": feed}]
            result.append(Output(output_path(p["url"]), template, ctx, source))
        return result
    if page["type"] == ARTICLE:
        context["next"], context["previous"] = neighbours.get(page["id"], (None, None))
        context["section"] = by_url.get(page["parent_url"])
    elif page["url"] == "/":
        context["recent"] = newest_first(p for p in pages if p["type"] == ARTICLE)[:RECENT_ON_HOME]
        context["sections"] = [k for k in kids if k["type"] == SECTION]
    else:
        context["children"] = kids
        context["subsections"] = [k for k in kids if k["type"] == SECTION]
    return [Output(output_path(page["url"]), template, context, source)]


def _taxonomy_outputs(kind, terms, pages, terms_of) -> list[Output]:
    """Tag or author pages (paginated) and their index page."""
    members = defaultdict(list)
    for page in pages:
        for term in terms_of(page):
            members[term["slug"]].append(page)
    outputs = []
    index = []
    for slug in sorted(members):
        term = terms.get(slug) or {"slug": slug, "name": slug, "url": f"/{kind}s/{slug}/"}
        entries = newest_first(members[slug])
        index.append({**term, "count": len(entries)})
        for p in paginate(term["url"], len(entries), TAXONOMY_PER_PAGE):
            start = (p["number"] - 1) * TAXONOMY_PER_PAGE
            context = {
                "page": _virtual(term["name"], p["url"], kind.title() + "Page"),
                kind: term,
                "entries": entries[start : start + TAXONOMY_PER_PAGE],
                "pagination": p,
            }
            outputs.append(
                Output(output_path(p["url"]), f"{kind}.html", context, f"{kind} {slug!r}")
            )
    if index:
        title = "Tags" if kind == "tag" else "Authors"
        index.sort(key=lambda t: t["name"].lower())
        context = {"page": _virtual(title, f"/{kind}s/", title + "Index"), f"{kind}s": index}
        outputs.append(Output(f"{kind}s/index.html", f"{kind}s.html", context, f"{kind} index"))
    return outputs


def _feeds(site, pages, children) -> list[dict[str, Any]]:
    """One Atom feed per section that lists articles, plus one for the whole site."""
    feeds = []
    for page in pages:
        if page["type"] != SECTION:
            continue
        articles = [k for k in children[page["url"]] if k["type"] == ARTICLE]
        if articles:
            feeds.append(
                _feed(page["title"], page["url"], page.get("description", ""), articles, False)
            )
    everything = [p for p in pages if p["type"] == ARTICLE]
    if everything:
        feeds.append(_feed(site["name"], "/", site["tagline"], everything, True))
    return feeds


def _feed(title, url, subtitle, articles, site_wide) -> dict[str, Any]:
    return {
        "title": title,
        "subtitle": subtitle,
        "alternate": url,
        "url": f"{url}atom.xml",
        "path": f"{url.strip('/')}/atom.xml".lstrip("/"),
        "entries": newest_first(articles)[:FEED_ENTRIES],
        "site_wide": site_wide,
    }
