"""A WordPress eXtended RSS export (WXR 1.0, 1.1, 1.2) -> plain data, parsed safely.

WXR is RSS 2.0 with WordPress's ``wp:`` namespace (``http://wordpress.org/export/1.N/``),
as written by ``export_wp()`` in WordPress's ``wp-admin/includes/export.php``. The
namespace version is read from the file, so 1.0, 1.1 and 1.2 exports all parse.

Parsing is safe for files nobody here wrote: lxml with entity resolution, DTD
loading and network access off (no billion-laughs, no external entities).

``read_wxr(path)`` returns a :class:`WxrExport`; raises :class:`WxrError` for a
file that is not XML or not a WXR export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from lxml import etree

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
EXCERPT_PREFIX = "http://wordpress.org/export/"
DC_NS = "http://purl.org/dc/elements/1.1/"


class WxrError(Exception):
    """The file is not a readable WXR export (one line, ready to print)."""


@dataclass(frozen=True)
class WxrAuthor:
    login: str
    display_name: str
    email: str = ""


@dataclass(frozen=True)
class WxrTerm:
    """An item's category, tag or other taxonomy term (``domain`` = the taxonomy)."""

    domain: str
    slug: str
    name: str


@dataclass(frozen=True)
class WxrComment:
    """One ``wp:comment``; ``approved`` is WordPress's ``"1"``, ``"0"``, ``"spam"``, ``"trash"``."""

    id: int
    parent_id: int
    author: str
    email: str
    url: str
    date: datetime | None
    content: str
    approved: str
    type: str  # "" or "comment" for a reader's comment; "pingback", "trackback"


@dataclass
class WxrItem:
    """One ``<item>``: a post, page, attachment, menu item, revision...

    Dates are timezone-aware UTC (``post_date_gmt``; the local ``post_date`` when
    the GMT one is the zero date of a never-published draft).
    """

    post_id: int
    post_type: str
    status: str
    title: str
    link: str
    guid: str
    slug: str
    parent_id: int
    menu_order: int
    date: datetime | None
    content: str
    excerpt: str
    creator: str
    password: str
    attachment_url: str
    is_sticky: bool
    terms: list[WxrTerm] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    comments: list[WxrComment] = field(default_factory=list)
    raw: bytes = b""

    @property
    def post_format(self) -> str:
        """``"standard"`` or the format's name (``post-format-gallery`` -> ``"gallery"``)."""
        for term in self.terms:
            if term.domain == "post_format":
                return term.slug.removeprefix("post-format-")
        return "standard"

    def terms_in(self, domain: str) -> list[WxrTerm]:
        return [t for t in self.terms if t.domain == domain]


@dataclass
class WxrExport:
    """The channel: site title and URLs, authors, and every item in file order."""

    version: str
    title: str
    link: str
    base_site_url: str
    authors: dict[str, WxrAuthor]
    items: list[WxrItem]
    category_parents: dict[str, str] = field(default_factory=dict)  # nicename -> parent


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=True,
        strip_cdata=True,
    )


def read_wxr(path: Path | str) -> WxrExport:
    """Parse the WXR file at ``path``; raise :class:`WxrError` when it is not one."""
    try:
        tree = etree.parse(str(path), _parser())
    except OSError as exc:
        raise WxrError(f"{path}: cannot read: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise WxrError(f"{path}: not well-formed XML: {exc}") from exc
    root = tree.getroot()
    channel = root.find("channel")
    wp_ns = next(
        (ns for ns in (root.nsmap or {}).values() if ns and _is_wp_ns(ns)),
        None,
    )
    if root.tag != "rss" or channel is None or wp_ns is None:
        raise WxrError(f"{path}: not a WordPress export (no rss/channel with the wp: namespace)")
    wp = "{" + wp_ns + "}"
    version = channel.findtext(wp + "wxr_version") or wp_ns.rstrip("/").rsplit("/", 1)[-1]
    excerpt_ns = next(
        (ns for ns in root.nsmap.values() if ns and ns.endswith("/excerpt/")),
        EXCERPT_PREFIX + "1.2/excerpt/",
    )
    authors = {}
    for node in channel.findall(wp + "author"):
        login = _text(node, wp + "author_login")
        authors[login] = WxrAuthor(
            login=login,
            display_name=_text(node, wp + "author_display_name") or login,
            email=_text(node, wp + "author_email"),
        )
    items = [_item(node, wp, excerpt_ns) for node in channel.iter("item")]
    category_parents = {
        _text(node, wp + "category_nicename"): _text(node, wp + "category_parent")
        for node in channel.findall(wp + "category")
    }
    return WxrExport(
        version=version,
        title=_text(channel, "title"),
        link=_text(channel, "link"),
        base_site_url=_text(channel, wp + "base_site_url") or _text(channel, "link"),
        authors=authors,
        items=items,
        category_parents=category_parents,
    )


def _is_wp_ns(ns: str) -> bool:
    return ns.startswith(EXCERPT_PREFIX) and ns.rstrip("/").rsplit("/", 1)[-1][:1].isdigit()


def _text(node: etree._Element, tag: str) -> str:
    return (node.findtext(tag) or "").strip()


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _item(node: etree._Element, wp: str, excerpt_ns: str) -> WxrItem:
    meta = {}
    for pm in node.findall(wp + "postmeta"):
        key = _text(pm, wp + "meta_key")
        if key:
            meta[key] = pm.findtext(wp + "meta_value") or ""
    terms = [
        WxrTerm(c.get("domain") or "category", c.get("nicename") or "", (c.text or "").strip())
        for c in node.findall("category")
    ]
    comments = [_comment(c, wp) for c in node.findall(wp + "comment")]
    return WxrItem(
        post_id=_int(_text(node, wp + "post_id")),
        post_type=_text(node, wp + "post_type") or "post",
        status=_text(node, wp + "status") or "publish",
        title=(node.findtext("title") or "").strip(),
        link=_text(node, "link"),
        guid=_text(node, "guid"),
        slug=_text(node, wp + "post_name"),
        parent_id=_int(_text(node, wp + "post_parent")),
        menu_order=_int(_text(node, wp + "menu_order")),
        date=_date(node, wp, "post_date"),
        content=node.findtext(f"{{{CONTENT_NS}}}encoded") or "",
        excerpt=node.findtext(f"{{{excerpt_ns}}}encoded") or "",
        creator=_text(node, f"{{{DC_NS}}}creator"),
        password=_text(node, wp + "post_password"),
        attachment_url=_text(node, wp + "attachment_url"),
        is_sticky=_text(node, wp + "is_sticky") == "1",
        terms=terms,
        meta=meta,
        comments=comments,
        raw=etree.tostring(node),
    )


def _comment(node: etree._Element, wp: str) -> WxrComment:
    return WxrComment(
        id=_int(_text(node, wp + "comment_id")),
        parent_id=_int(_text(node, wp + "comment_parent")),
        author=_text(node, wp + "comment_author"),
        email=_text(node, wp + "comment_author_email"),
        url=_text(node, wp + "comment_author_url"),
        date=_date(node, wp, "comment_date"),
        content=node.findtext(wp + "comment_content") or "",
        approved=_text(node, wp + "comment_approved") or "0",
        type=_text(node, wp + "comment_type"),
    )


def _date(node: etree._Element, wp: str, name: str) -> datetime | None:
    """``wp:<name>_gmt`` as UTC; else the local ``wp:<name>`` read as UTC; else ``pubDate``."""
    for tag in (name + "_gmt", name):
        value = _text(node, wp + tag)
        if value and not value.startswith("0000"):
            try:
                return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                continue
    pub = _text(node, "pubDate")
    if pub:
        try:
            return parsedate_to_datetime(pub).astimezone(UTC)
        except (TypeError, ValueError):
            return None
    return None
