"""A WordPress eXtended RSS export (WXR 1.0, 1.1, 1.2) -> plain data, parsed safely.

WXR is RSS 2.0 with WordPress's ``wp:`` namespace (``http://wordpress.org/export/1.N/``),
as written by ``export_wp()`` in WordPress's ``wp-admin/includes/export.php``. The
namespace version is read from the file, so 1.0, 1.1 and 1.2 exports all parse.

Parsing is safe for files nobody here wrote: lxml with entity resolution, DTD
loading and network access off (no billion-laughs, no external entities).

Real exports are not always well-formed, and WordPress's own importer reads them
anyway (it falls back to a regular-expression parser). What they get wrong is
repaired before parsing, each repair noted in ``WxrExport.notes``: blank lines or
a byte-order mark a plugin or theme printed before the XML declaration; control
characters XML 1.0 forbids (pasted from word processors: form feeds, vertical
tabs...), removed; bytes that are not UTF-8 in a UTF-8 file (text saved as
Windows-1252 by an old plugin), read as Windows-1252.

``read_wxr(path)`` returns a :class:`WxrExport`; raises :class:`WxrError` for a
file that is not XML or not a WXR export.
"""

from __future__ import annotations

import codecs
import html.entities
import re
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
    notes: list[str] = field(default_factory=list)  # repairs made to read the file


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
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WxrError(f"{path}: cannot read: {exc}") from exc
    data, notes = repair(data)
    try:
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as exc:
            if "Entity '" not in str(exc):
                raise
            # HTML's named entities (&nbsp;) outside CDATA, from exporters that are
            # not WordPress itself: XML has only five; the rest become numbers.
            data, count = numeric_entities(data)
            if not count:
                raise
            notes.append(f"{count} HTML named entities outside CDATA read as characters")
            root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise WxrError(f"{path}: not well-formed XML: {exc}") from exc
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
        notes=notes,
    )


def read_wxrs(paths: list[Path | str]) -> WxrExport:
    """Several WXR files of one site read as one export, in the order given: what
    ``wp export`` writes for a big site (``site.wordpress.2024-01-01.000.xml``,
    ``.001.xml``... split at 15 MB), where a post's featured image or parent page
    may be in another file. The channel (title, URLs) is the first file's; authors,
    categories and items are those of all. Raises :class:`WxrError` for a file that
    is not an export, or for files of different sites."""
    exports = [read_wxr(path) for path in paths]
    first = exports[0]
    for path, other in zip(paths[1:], exports[1:], strict=True):
        if other.base_site_url.rstrip("/") != first.base_site_url.rstrip("/"):
            raise WxrError(
                f"{path}: an export of {other.base_site_url}, not of {first.base_site_url}: "
                "import each site on its own"
            )
    merged = WxrExport(
        version=first.version,
        title=first.title,
        link=first.link,
        base_site_url=first.base_site_url,
        authors={},
        items=[],
    )
    seen: set[int] = set()
    for path, export in zip(paths, exports, strict=True):
        merged.authors.update(export.authors)
        merged.category_parents.update(export.category_parents)
        merged.notes += [f"{Path(path).name}: {note}" for note in export.notes]
        for item in export.items:
            if item.post_id not in seen:  # an item is in one file; never twice
                seen.add(item.post_id)
                merged.items.append(item)
    return merged


_LEADING_JUNK = re.compile(rb"\A(?:\xef\xbb\xbf|\s)+(?=<)")
_FORBIDDEN_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DECLARED_ENCODING = re.compile(rb"\A<\?xml[^>]*encoding=[\"']([\w.-]+)", re.I)


def repair(data: bytes) -> tuple[bytes, list[str]]:
    """The bytes of an export made parseable as WordPress's importer reads them, and a
    note for each repair (see the module doc). Well-formed files come back unchanged."""
    notes: list[str] = []
    stripped = _LEADING_JUNK.sub(b"", data, count=1)
    if stripped != data:
        notes.append(
            "blank lines before the XML declaration (printed by a plugin or theme) were ignored"
        )
        data = stripped
    data, count = _FORBIDDEN_CONTROLS.subn(b"", data)
    if count:
        notes.append(f"{count} control character(s) XML does not allow were removed")
    declared = _DECLARED_ENCODING.match(data)
    if declared is None or declared.group(1).lower().replace(b"-", b"") == b"utf8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="wp-cp1252")
            notes.append("bytes that are not UTF-8 were read as Windows-1252")
            data = text.encode("utf-8")
    return data, notes


_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}


def numeric_entities(data: bytes) -> tuple[bytes, int]:
    """``data`` with HTML's named entities outside CDATA sections as numeric character
    references (``&nbsp;`` -> ``&#160;``), and how many were replaced. XML's own five
    and names HTML does not know are left as they are."""
    count = 0

    def number(match: re.Match[bytes]) -> bytes:
        nonlocal count
        name = match.group(1)
        text = html.entities.html5.get(name.decode("ascii") + ";")
        if name in _XML_ENTITIES or text is None:
            return match.group(0)
        count += 1
        return b"".join(b"&#%d;" % ord(c) for c in text)

    parts = _CDATA.split(data)
    for i in range(0, len(parts), 2):  # even parts are outside CDATA
        parts[i] = _NAMED_ENTITY.sub(number, parts[i])
    return b"".join(parts), count


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error("wp-cp1252", _cp1252_fallback)


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
    terms = _terms(node.findall("category"))
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


def _terms(nodes: list[etree._Element]) -> list[WxrTerm]:
    """An item's terms as WordPress's importer reads them.

    WXR 1.0 (WordPress 2.x-3.0) writes each category twice, once bare
    (``<category>Name</category>``, "for backwards compatibility") and once with
    its ``domain`` and ``nicename``; tags are in the ``tag`` domain, which is
    ``post_tag`` today. A bare category stands for itself only when no term of
    the item has its name (the oldest exports have nothing else); its slug is
    then made from the name.
    """
    terms: list[WxrTerm] = []
    bare: list[tuple[str, str]] = []
    for c in nodes:
        name = (c.text or "").strip()
        domain = c.get("domain") or "category"
        domain = "post_tag" if domain == "tag" else domain
        slug = c.get("nicename") or ""
        if slug:
            terms.append(WxrTerm(domain, slug, name))
        elif name:
            bare.append((domain, name))
    named = {t.name for t in terms}
    for domain, name in dict.fromkeys(bare):
        if name not in named:
            slug = re.sub(r"[^\w]+", "-", name.lower()).strip("-") or name
            terms.append(WxrTerm(domain, slug, name))
    return list(dict.fromkeys(terms))


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
