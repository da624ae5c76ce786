"""Write a WordPress export into Wagtail: pages, library files, tags, authors, comments, redirects.

``import_wordpress(path, uploads=None, parent_path="/", section_slug="blog", dry_run=False)``
returns a :class:`~.report.WpReport` accounting for every item. The stages:

1. read      the WXR file (``wxr.py``) -> items
2. media     attachments -> Wagtail images (by extension) and documents, found under
             ``uploads`` by the path after ``wp-content/uploads/`` (multisite
             ``sites/N/`` prefixes and ``blogs.dir`` paths included)
3. place     every post (``ArticlePage`` in the posts section) and page (``StandardPage``
             under its WordPress parent) found through ``ImportSource`` or created
             unpublished, so links between posts resolve to page ids
4. write     bodies (``content.py``), tags from categories/tags/post format,
             authors, featured image, comments with their threads and moderation
             state, then: ``publish`` -> live; ``future`` -> scheduled
             (``go_live_at``); ``draft``/``pending``/``private``/password-protected
             -> a draft revision, never live
5. redirect  each published item's ``<link>``, ``?p=ID``/``?page_id=ID``, old slugs
             (``_wp_old_slug``) and attachment pages -> Wagtail redirects

Idempotent: an item is keyed by site and WordPress post id (``ImportSource``), and
an item whose XML is byte-for-byte unchanged is not written again. Each item is
written in its own transaction; one that fails leaves nothing behind.
Raises ``TargetError`` when the parent page is missing, ``WxrError`` for a bad file.
"""

from __future__ import annotations

import contextlib
import hashlib
import html as html_lib
import json
import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.db import transaction
from django.utils import timezone
from taggit.models import Tag
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.embeds.oembed_providers import all_providers
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from cms.comments.models import Comment
from cms.content.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    ImportSource,
    SectionPage,
    StandardPage,
)
from jamtail.collector import collector_paused

from ..errors import TargetError
from ..importer import find_parent, is_reserved_path
from ..markdown import LinkTarget
from ..media import LibraryFiles
from ..slugs import SiblingSlugs, dedupe, make_slug
from .content import Converter, wpautop
from .report import ItemOutcome, WpReport
from .wxr import WxrExport, WxrItem, read_wxr, read_wxrs

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = {
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".avif",
    ".svg",
    ".bmp",
    ".tif",
    ".tiff",
}
SKIP_REASONS = {
    "nav_menu_item": "navigation menu item: Jamtail's menus come from the page tree",
    "revision": "revision: only the current version of a post is imported",
    "customize_changeset": "theme customizer state",
    "custom_css": "theme custom CSS",
    "oembed_cache": "oEmbed cache entry",
    "user_request": "privacy request record",
    "wp_global_styles": "block theme styles",
    "wp_template": "block theme template",
    "wp_template_part": "block theme template part",
    "wp_navigation": "block theme navigation menu: Jamtail's menus come from the page tree",
    "wp_font_family": "block theme font",
    "wp_font_face": "block theme font",
    "wp_block": "reusable block: its content is imported into each post that uses it",
    "wp_pattern": "block pattern: its content is imported into each post that uses it",
    # Plugins' records: private data or settings, never pages a reader saw.
    "shop_order": "WooCommerce order: private customer data, not content",
    "shop_order_refund": "WooCommerce refund: private customer data, not content",
    "shop_order_placehold": "WooCommerce order: private customer data, not content",
    "shop_subscription": "WooCommerce subscription: private customer data, not content",
    "shop_coupon": "WooCommerce coupon: shop settings, not content",
    "shop_webhook": "WooCommerce webhook: shop settings, not content",
    "product_variation": "WooCommerce product variation: part of its product",
    "scheduled-action": "Action Scheduler task record",
    "feedback": "Jetpack contact form response: private data, not content",
    "flamingo_inbound": "Flamingo contact form message: private data, not content",
    "flamingo_contact": "Flamingo address book entry: private data, not content",
    "wpcf7_contact_form": "Contact Form 7 form definition: a static page cannot run it",
    "acf-field-group": "Advanced Custom Fields settings",
    "acf-field": "Advanced Custom Fields settings",
    "acf-post-type": "Advanced Custom Fields settings",
    "acf-taxonomy": "Advanced Custom Fields settings",
    "guest-author": "Co-Authors Plus guest author profile: its name is the posts' author",
    "jp_mem_plan": "Jetpack membership plan: shop settings, not content",
}
READER_COMMENT_TYPES = ("", "comment", "review")
"""``wp:comment_type`` of comments readers wrote (``review``: WooCommerce's product
reviews); pingbacks, trackbacks and plugins' notes (``order_note``) are not."""
REDIRECT_MAX_LENGTH = Redirect._meta.get_field("old_path").max_length or 255
BUILT_TOP_SLUGS = {"search", "_search", "tags", "authors", "api", "preview"}
"""Top-level paths the build or the functions answer (the search page, the tag and
author indexes, ``/api/``, ``/preview``): a page there would be overwritten or hidden."""
PROTECTED_NOTICE = (
    "<p>This post was password-protected on the old site; its content is not public.</p>"
)
DRAFT_STATUSES = {"draft", "pending", "private", "future"}
_SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.\w+$)")
_COMMENT_STATUS = {
    "1": Comment.APPROVED,
    "approve": Comment.APPROVED,
    "0": Comment.PENDING,
    "hold": Comment.PENDING,
    "spam": Comment.SPAM,
    "trash": Comment.REJECTED,
    "post-trashed": Comment.REJECTED,
}
_EMBED_PATTERNS = [re.compile(u) for p in all_providers for u in p["urls"]]


@collector_paused()
def import_wordpress(
    path: Path | str | Sequence[Path | str],
    uploads: Path | str | None = None,
    parent_path: str = "/",
    section_slug: str = "blog",
    dry_run: bool = False,
    post_types: Sequence[str] = (),
) -> WpReport:
    """Import the WXR file ``path`` below the page at ``parent_path``; see the module doc.

    ``path`` may be a list of the files ``wp export`` split one site's export into:
    they are read as one export (:func:`~.wxr.read_wxrs`). ``post_types`` names custom
    post types (``portfolio``, ``product``) to import as articles, each type in a
    section of its own; other custom types are reported as lost."""
    started = time.monotonic()
    paths = [path] if isinstance(path, str | Path) else list(path)
    if len(paths) == 1:
        export = read_wxr(paths[0])
        notes = [f"{Path(paths[0]).name}: {note}" for note in export.notes]
    else:
        export = read_wxrs(paths)
        notes = export.notes
    report = WpReport(source=", ".join(str(p) for p in paths), dry_run=dry_run)
    report.warnings.extend(notes)
    uploads_dir = _uploads_root(Path(uploads)) if uploads else None
    if uploads is not None and (uploads_dir is None or not uploads_dir.is_dir()):
        raise TargetError(f"--uploads {uploads} is not a folder")
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    with outer:
        site, parent = find_parent(parent_path)
        run = _WpImport(export, site, parent, uploads_dir, report, dry_run, section_slug)
        run.extra_types = {t.strip() for t in post_types if t.strip()}
        run.run()
        report.images = run.files.created_images
        report.documents = run.files.created_documents
        if dry_run:
            transaction.set_rollback(True)
    report.seconds = time.monotonic() - started
    return report


def _uploads_root(path: Path) -> Path | None:
    """``DIR`` itself, or ``DIR/wp-content/uploads`` when DIR is a WordPress root, or
    ``DIR/uploads`` when DIR is its ``wp-content``."""
    for nested in (path / "wp-content" / "uploads", path / "uploads"):
        if nested.is_dir() and path.name != "uploads":
            return nested
    return path if path.is_dir() else None


@dataclass
class _Attachment:
    item: WxrItem
    rel: str  # path under wp-content/uploads
    file: Path | None
    image_id: int | None = None
    document_id: int | None = None


class _WpImport:
    def __init__(
        self,
        export: WxrExport,
        site: Site,
        parent: Page,
        uploads: Path | None,
        report: WpReport,
        dry_run: bool,
        section_slug: str,
    ) -> None:
        self.export = export
        self.site = site
        self.parent = parent
        self.uploads = uploads
        self.report = report
        self.dry_run = dry_run
        self.section_slug = make_slug(section_slug, fallback="blog")
        self.files = LibraryFiles(dry_run=dry_run)
        base = urlsplit(export.base_site_url or export.link)
        self.host = base.netloc.lower()
        self.base_path = base.path.rstrip("/")
        self.key_prefix = f"wordpress:{self.host}{self.base_path}/"
        self.hosts = _site_hosts(export)
        self.sources = {
            s.key: s for s in ImportSource.objects.filter(key__startswith=self.key_prefix)
        }
        self.by_id = {i.post_id: i for i in export.items}
        self.attachments: dict[int, _Attachment] = {}
        self.attachment_by_rel: dict[str, _Attachment] = {}
        self.pages: dict[int, Page] = {}  # WordPress post id -> Wagtail page
        self.new_ids: set[int] = set()
        self.path_to_id: dict[str, int] = {}
        self.sibling_slugs = SiblingSlugs()
        self.authors = {a.slug: a for a in Author.objects.all()}
        self.redirects = {r.old_path: r for r in Redirect.objects.filter(site=site)}
        self.site_prefix_len = len(site.root_page.url_path) - 1
        self.section: Page | None = None
        self.extra_types: set[str] = set()  # custom post types imported as articles
        self.type_sections: dict[str, Page] = {}
        self.item_warnings: list[str] = []

    # --- the stages ---------------------------------------------------------------------

    def run(self) -> None:
        content_items: list[WxrItem] = []
        for item in self.export.items:
            if item.post_type == "attachment":
                self.attachment(item)
            elif item.post_type in ("post", "page") or item.post_type in self.extra_types:
                if item.status in ("trash", "auto-draft", "inherit"):
                    self.skip(item, f"status {item.status}: not content a reader saw", True)
                else:
                    content_items.append(item)
                    self.path_to_id[unquote(self.site_path(item.link))] = item.post_id
            else:
                reason = SKIP_REASONS.get(item.post_type)
                self.skip(
                    item,
                    reason
                    or f"post type {item.post_type!r} has no Jamtail equivalent "
                    f"(--post-types {item.post_type} imports it as articles)",
                    expected=reason is not None,
                )
        if any(i.post_type == "post" for i in content_items):
            self.posts_section()
        content_items = [i for i in content_items if not self.merged_posts_page(i)]
        pending = {i.post_id: i for i in content_items}
        for item in _parents_first(content_items):
            try:
                with transaction.atomic():
                    self.pages[item.post_id] = self.place(item)
            except Exception as exc:  # one item fails; the import goes on
                logger.exception("placing WordPress item %s", item.post_id)
                self.fail(item, exc)
                pending.pop(item.post_id)
        for item in content_items:
            if item.post_id in pending:
                self.write_item(item)
        for att in self.attachments.values():
            self.attachment_redirects(att)
        self.archive_redirects()

    def merged_posts_page(self, item: WxrItem) -> bool:
        """A top-level page with the posts section's slug and no content is WordPress's
        "posts page" (Settings > Reading): the section takes its place and its old URLs."""
        section = self.section
        if (
            section is None
            or item.post_type != "page"
            or item.parent_id
            or make_slug(unquote(item.slug) or item.title) != section.slug
            or _plain(item.content)
            or self.sources.get(self.key(item)) is not None
        ):
            return False
        self.report.add(
            ItemOutcome(
                item.post_id, item.post_type, item.status, item.title, "merged",
                "an empty page with the posts section's slug (the posts page): the section "
                "replaces it", page_id=section.pk, url=self.public_path(section),
            )
        )  # fmt: skip
        self.pages[item.post_id] = section
        if item.status == "publish" and section.live:
            for old in self.old_paths(item):
                self.redirect(
                    Redirect.normalise_path(old),
                    Redirect.normalise_path(self.public_path(section)),
                    section,
                )
            self.flush_warnings(item)
        return True

    def skip(self, item: WxrItem, reason: str, expected: bool = True) -> None:
        self.report.add(
            ItemOutcome(
                item.post_id, item.post_type, item.status, item.title, "skipped", reason, expected
            )
        )

    def fail(self, item: WxrItem, exc: Exception) -> None:
        self.report.add(
            ItemOutcome(
                item.post_id, item.post_type, item.status, item.title, "failed", f"{exc}", False
            )
        )
        self.files.forget()

    # --- attachments ----------------------------------------------------------------------

    def attachment(self, item: WxrItem) -> None:
        # _wp_attached_file is the path under uploads/ whatever the URL: media offloaded
        # to a CDN or S3 (no /wp-content/uploads/ in it), WordPress.com's files host.
        # (WordPress's file names never hold "%", so decoding it is safe.)
        attached = unquote(item.meta.get("_wp_attached_file", "").strip().lstrip("/"))
        url = item.attachment_url or item.guid
        # Without either, the URL's own path: a files host (WordPress.com's
        # site.files.wordpress.com/2019/03/a.jpg) keeps the uploads layout in it.
        rel = _upload_rel(url) or attached or unquote(urlsplit(url).path).strip("/") or None
        file = self.locate(rel) if rel else None
        if file is None and attached and attached != rel:
            file = self.locate(attached)
        att = _Attachment(item, rel or "", file)
        self.attachments[item.post_id] = att
        for known in (rel, attached):
            for key in _rel_keys(known or ""):
                self.attachment_by_rel.setdefault(key, att)
        if file is None:
            where = f"under --uploads {self.uploads}" if self.uploads else "(no --uploads given)"
            reason = f"file not found {where}: {rel or item.attachment_url}"
            self.warn(f"attachment #{item.post_id} {item.title!r}: {reason}")
            self.skip(item, reason, expected=False)
            return
        known_before = self.files.created_images + self.files.created_documents
        try:
            with transaction.atomic():
                if file.suffix.lower() in IMAGE_EXTENSIONS:
                    alt = item.meta.get("_wp_attachment_image_alt", "") or _plain(item.excerpt)
                    att.image_id = self.files.image(file, alt).id
                else:
                    att.document_id = self.files.document(file)
        except Exception as exc:  # a truncated or empty upload: this file, not the import
            logger.warning("WordPress attachment %s: %s", item.post_id, exc, exc_info=True)
            self.files.forget()
            att.file, att.image_id, att.document_id = None, None, None
            reason = f"the file cannot be read ({type(exc).__name__}: {exc}): {file}"
            self.warn(f"attachment #{item.post_id} {item.title!r}: {reason}")
            self.skip(item, reason, expected=False)
            return
        is_new = self.files.created_images + self.files.created_documents > known_before
        if is_new and item.title.strip():
            # The library named it after the file; WordPress's title is the editor's.
            model = get_image_model() if att.image_id else get_document_model()
            pk = att.image_id or att.document_id
            model.objects.filter(pk=pk).update(title=_plain(item.title)[:255])
        self.report.add(
            ItemOutcome(
                item.post_id, "attachment", item.status, item.title,
                "created" if is_new else "merged",
                "" if is_new else "the file is already in the library",
            )
        )  # fmt: skip

    def locate(self, rel: str) -> Path | None:
        """The file for a path under wp-content/uploads, trying shorter tails of it
        (``sites/2/2011/01/a.jpg`` -> ``2011/01/a.jpg``) for multisite exports."""
        if self.uploads is None:
            return None
        parts = [p for p in rel.split("/") if p and p not in (".", "..")]
        for start in range(len(parts)):
            # Accented names as the export writes them (NFC) or as a copy made on a Mac
            # stores them (NFD).
            for form in ("NFC", "NFD"):
                tail = [unicodedata.normalize(form, p) for p in parts[start:]]
                candidate = self.uploads.joinpath(*tail)
                if candidate.is_file():
                    return candidate
        return None

    def attachment_at(self, url: str) -> _Attachment | None:
        """The attachment an uploaded file's URL names, on any host: the site, a CDN
        that keeps or drops ``/wp-content/uploads/``, Jetpack's image CDN
        (``i0.wp.com/<host>/<path>``), a resized copy (``-300x200``) or WordPress's
        ``-scaled`` big-image copy. Matched on the longest tail of the path that is an
        attachment's path under uploads; ``None`` when no attachment has it."""
        path = unquote(urlsplit(html_lib.unescape(url)).path)
        rel = _upload_rel(url)
        candidates = [rel] if rel else []
        parts = [p for p in path.split("/") if p]
        candidates += ["/".join(parts[i:]) for i in range(len(parts))]
        for candidate in candidates:
            for key in (candidate, _SIZE_SUFFIX.sub("", candidate)):
                att = self.attachment_by_rel.get(key)
                if att is not None:
                    return att
        return None

    def image_for(self, src: str, attachment_id: int | None) -> int | None:
        att = self.attachments.get(attachment_id) if attachment_id else None
        if att is not None and att.image_id is not None:
            return att.image_id
        att = self.attachment_at(src)
        if att is not None and att.image_id is not None:
            return att.image_id
        rel = _upload_rel(src) if self.is_local(src) else None
        if rel is None:
            return None
        file = self.locate(rel) or self.locate(_SIZE_SUFFIX.sub("", rel))
        if file is None:
            self.item_warnings.append(f"image not found under --uploads: {rel}")
            return None
        try:
            with transaction.atomic():
                return self.files.image(file).id
        except Exception as exc:  # an unreadable file: the post imports without it
            self.files.forget()
            self.item_warnings.append(f"image {rel} cannot be read ({type(exc).__name__})")
            return None

    # --- place ------------------------------------------------------------------------------

    def posts_section(self) -> Page:
        if self.section is not None:
            return self.section
        if isinstance(self.parent, SectionPage):
            self.section = self.parent
            return self.section
        key = self.key_prefix + "section"
        source = self.sources.get(key)
        page = Page.objects.filter(pk=source.page_id).first() if source else None
        if page is None:
            page = SectionPage(
                title=self.export.title or "Blog",
                slug=dedupe(self.section_slug, self.sibling_slugs.taken(self.parent)),
            )
            self.parent.add_child(instance=page)
            page.save_revision().publish()
            ImportSource.objects.update_or_create(key=key, defaults={"page": page, "digest": ""})
            self.sibling_slugs.taken(self.parent).add(page.slug)
        self.section = page.specific
        return self.section

    def type_section(self, item: WxrItem) -> Page:
        """The section of a custom post type named by ``--post-types``: made once, titled
        after the type, at the base its items' permalinks share (``/portfolio/x/`` ->
        ``portfolio``), else at the type's name."""
        post_type = item.post_type
        if post_type in self.type_sections:
            return self.type_sections[post_type]
        key = f"{self.key_prefix}section:{post_type}"
        source = self.sources.get(key)
        page = Page.objects.filter(pk=source.page_id).first() if source else None
        if page is None:
            bases = [
                self.site_path(i.link).strip("/").split("/")[0]
                for i in self.export.items
                if i.post_type == post_type and "?" not in self.site_path(i.link)
            ]
            base = max(set(bases), key=bases.count) if bases else ""
            wanted = make_slug(unquote(base) or post_type, fallback=post_type)
            taken = self.sibling_slugs.taken(self.parent)
            if self.parent.pk == self.site.root_page_id:
                taken = taken | BUILT_TOP_SLUGS
            page = SectionPage(
                title=post_type.replace("_", " ").replace("-", " ").title(),
                slug=dedupe(wanted, taken),
            )
            self.parent.add_child(instance=page)
            page.save_revision().publish()
            ImportSource.objects.update_or_create(key=key, defaults={"page": page, "digest": ""})
            self.sibling_slugs.taken(self.parent).add(page.slug)
        self.type_sections[post_type] = page.specific
        return self.type_sections[post_type]

    def place(self, item: WxrItem) -> Page:
        is_article = item.post_type == "post" or item.post_type in self.extra_types
        model = ArticlePage if is_article else StandardPage
        source = self.sources.get(self.key(item))
        if source is not None:
            page = Page.objects.filter(pk=source.page_id).first()
            if page is not None:
                page = page.specific
                if type(page) is not model:
                    raise ValueError(
                        f"it was imported as {type(page).__name__} #{page.pk}; "
                        f"delete that page to re-import it"
                    )
                return page
        if model is ArticlePage:
            parent = self.posts_section() if item.post_type == "post" else self.type_section(item)
        else:
            parent = self.pages.get(item.parent_id) or self.parent
            if item.parent_id and item.parent_id not in self.pages:
                self.warn(
                    f"page #{item.post_id} {item.title!r}: parent #{item.parent_id} was not "
                    f"imported; placed under {self.parent.title!r}"
                )
        slugs = self.sibling_slugs.taken(parent)
        wanted = make_slug(
            unquote(item.slug) or item.title, fallback=f"{item.post_type}-{item.post_id}"
        )
        taken = slugs
        if parent.pk == self.site.root_page_id and wanted in BUILT_TOP_SLUGS:
            taken = slugs | BUILT_TOP_SLUGS
            self.warn(
                f"{item.post_type} #{item.post_id} {item.title!r}: /{wanted}/ is made by the "
                f"build; the page is at /{dedupe(wanted, taken)}/ instead"
            )
        page = model(
            title=_title(item),
            slug=dedupe(wanted, taken),
            live=False,
            has_unpublished_changes=True,
        )
        if isinstance(page, ArticlePage):
            page.date = (item.date or timezone.now()).date()
        parent.add_child(instance=page)
        slugs.add(page.slug)
        self.new_ids.add(item.post_id)
        return page

    def key(self, item: WxrItem) -> str:
        return f"{self.key_prefix}{item.post_id}"

    # --- write ------------------------------------------------------------------------------

    def write_item(self, item: WxrItem) -> None:
        page = self.pages[item.post_id]
        digest = hashlib.sha256(item.raw).hexdigest()
        source = self.sources.get(self.key(item))
        outcome = ItemOutcome(
            item.post_id, item.post_type, item.status, item.title, "", page_id=page.pk
        )
        if item.post_id not in self.new_ids and source and source.digest == digest:
            outcome.outcome = "unchanged"
            outcome.url = self.public_path(page)
            self.report.add(outcome)
            return
        self.item_warnings = []
        try:
            with transaction.atomic():
                notes = self.write(item, page)
                ImportSource.objects.update_or_create(
                    key=self.key(item), defaults={"page": page, "digest": digest}
                )
        except Exception as exc:
            logger.exception("writing WordPress item %s", item.post_id)
            if item.post_id in self.new_ids:
                Page.objects.filter(pk=page.pk).delete()
                self.pages.pop(item.post_id, None)
            self.fail(item, exc)
            return
        self.flush_warnings(item)
        outcome.outcome = "created" if item.post_id in self.new_ids else "updated"
        outcome.reason = notes
        outcome.url = self.public_path(page)
        self.report.add(outcome)

    def write(self, item: WxrItem, page: Page) -> str:
        """Write one item's page; return a note on its state (draft, scheduled...)."""
        converter = Converter(_Resolver(self, item))
        page.title = _title(item)
        body = converter.convert(item.content)
        self.item_warnings.extend(converter.warnings)
        page.body = [{**b, "id": str(uuid.uuid4())} for b in body]
        page.summary = _plain(item.excerpt)[:1000]
        page.seo_title = _seo(item, SEO_TITLE_KEYS)[:255]
        page.search_description = _seo(item, SEO_DESCRIPTION_KEYS)
        if isinstance(page, ArticlePage):
            page.date = (item.date or timezone.now()).date()
            thumb = item.meta.get("_thumbnail_id", "")
            att = self.attachments.get(int(thumb)) if thumb.isdigit() else None
            page.hero_image_id = att.image_id if att and att.image_id else None
            if thumb.isdigit() and page.hero_image_id is None:
                self.item_warnings.append(f"featured image #{thumb} was not imported")
            page.tags.set(self.tags(item))
            page.article_authors = [
                ArticleAuthor(author=a, sort_order=n) for n, a in enumerate(self.author(item))
            ]
        note = self.publish(item, page)
        page.refresh_from_db(fields=["live", "url_path", "go_live_at", "has_unpublished_changes"])
        if isinstance(page, ArticlePage):
            self.comments(item, page)
        else:
            self.report.comments_skipped += len(item.comments)
            if item.comments:
                self.item_warnings.append(
                    f"{len(item.comments)} comment(s) on a page skipped: "
                    "Jamtail comments are on articles"
                )
        if page.live:
            self.add_redirects(item, page)
        return note

    def publish(self, item: WxrItem, page: Page) -> str:
        status = item.status
        if status == "publish" and item.password:
            self.item_warnings.append(
                "password-protected in WordPress: the title is public, the content is kept "
                "in a draft revision (a static page cannot keep a password)"
            )
            # WordPress shows neither the content nor the excerpt of a protected post
            # ("There is no excerpt because this is a protected post.").
            body, summary = page.body, getattr(page, "summary", "")
            description = page.search_description
            page.body = [{"type": "paragraph", "id": str(uuid.uuid4()), "value": PROTECTED_NOTICE}]
            page.summary = page.search_description = ""
            page.go_live_at = None
            page.save_revision().publish()
            page.refresh_from_db(fields=["live", "url_path", "has_unpublished_changes"])
            page.body, page.summary, page.search_description = body, summary, description
            page.save_revision()
            return "password-protected: published without its content (in a draft revision)"
        if status == "future" and item.date and item.date > timezone.now():
            page.go_live_at = item.date
            if page.live:
                page.unpublish(log_action=False)
            page.save()
            page.save_revision().publish()  # Wagtail keeps it unpublished until go_live_at
            return f"scheduled for {item.date.isoformat()}"
        if status in DRAFT_STATUSES and status != "future":
            if page.live:
                page.unpublish(log_action=False)
            page.save()
            page.save_revision()
            return f"draft ({status} in WordPress): never public"
        page.go_live_at = None
        revision = page.save_revision()
        revision.publish()
        if item.date:
            Page.objects.filter(pk=page.pk).update(first_published_at=item.date)
        return "scheduled date already passed: published" if status == "future" else ""

    def tags(self, item: WxrItem) -> list[str]:
        names = [_term_tag_name(t.domain, t.name, t.slug) for t in item.terms]
        return list(dict.fromkeys(n for n in names if n))

    def author(self, item: WxrItem) -> list[Author]:
        """The post's authors: Co-Authors Plus's ``author`` terms when the site used that
        plugin (several authors, in order; guest authors by their name), else
        ``dc:creator``. A login the export has no ``wp:author`` record for (a deleted
        user, WXR 1.0) is named after the login."""
        authors = []
        for login in _author_logins(item):
            wxr_author = self.export.authors.get(login)
            name = wxr_author.display_name if wxr_author else login
            slug = make_slug(name, fallback="author")
            if slug not in self.authors:
                self.authors[slug] = Author.objects.create(name=name[:255], slug=slug)
            authors.append(self.authors[slug])
        return list(dict.fromkeys(authors))

    def comments(self, item: WxrItem, page: ArticlePage) -> None:
        existing = {(c.created_at, c.author_name): c for c in Comment.objects.filter(page=page)}
        made: dict[int, Comment] = {}
        held = 0
        for wc in sorted(item.comments, key=lambda c: (c.parent_id != 0, c.id)):
            if wc.type not in READER_COMMENT_TYPES:
                self.report.comments_skipped += 1
                continue
            created = wc.date or item.date or timezone.now()
            name = (wc.author or "Anonymous")[:80]
            comment = existing.get((created, name))
            if comment is None:
                status = _COMMENT_STATUS.get(wc.approved, Comment.PENDING)
                if item.password and status == Comment.APPROVED:
                    # WordPress shows a protected post's comments only with its password.
                    status = Comment.PENDING
                    held += 1
                comment = Comment(
                    page=page,
                    author_name=name,
                    author_email=wc.email if "@" in wc.email else "",
                    body_markdown=wc.content,
                    body_html=wpautop(wc.content),
                    status=status,
                    created_at=created,
                )
                comment.save()
                self.report.comments += 1
            made[wc.id] = comment
        for wc in item.comments:
            if wc.parent_id and wc.id in made:
                parent = made.get(wc.parent_id)
                if parent is None:
                    self.item_warnings.append(
                        f"comment #{wc.id} replies to a comment not in the export"
                    )
                elif made[wc.id].parent_id != parent.pk:
                    Comment.objects.filter(pk=made[wc.id].pk).update(parent=parent)
        if held:
            self.item_warnings.append(
                f"{held} approved comment(s) on a password-protected post imported as "
                "pending: WordPress showed them only with the password"
            )
        if any(wc.type not in READER_COMMENT_TYPES for wc in item.comments):
            self.item_warnings.append("pingbacks/trackbacks skipped: they are not reader comments")

    # --- redirects --------------------------------------------------------------------------

    def old_paths(self, item: WxrItem) -> list[str]:
        paths = []
        link = self.site_path(item.link)
        if link and "?" not in link:
            paths.append(link)
            old_slug = item.meta.get("_wp_old_slug", "")
            if old_slug and item.slug and link.rstrip("/").endswith("/" + item.slug):
                paths.append(link.rstrip("/")[: -len(item.slug)] + old_slug + "/")
        query = "page_id" if item.post_type == "page" else "p"
        paths.append(f"{self.base_path}/?{query}={item.post_id}")
        return paths

    def is_local(self, url: str) -> bool:
        """Whether ``url`` is on the old site (relative, one of its hosts with or without
        ``www.``: today's and earlier ones named by guids, or any host's
        ``/wp-content/uploads/``: a CDN or an earlier domain of the site)."""
        host = urlsplit(url).netloc.lower()
        return not host or _bare(host) in self.hosts or "/wp-content/uploads/" in url

    def site_path(self, url: str) -> str:
        """The path (and query) of an old URL of this site, ``""`` for another host."""
        parts = urlsplit(url)
        if parts.netloc and _bare(parts.netloc.lower()) not in self.hosts:
            return ""
        path = parts.path or "/"
        return path + (f"?{parts.query}" if parts.query else "")

    def public_path(self, page: Page) -> str:
        return page.url_path[self.site_prefix_len :]

    def add_redirects(self, item: WxrItem, page: Page) -> None:
        own = Redirect.normalise_path(self.public_path(page))
        for old in self.old_paths(item):
            self.redirect(Redirect.normalise_path(old), own, page)

    def redirect(self, old: str, own: str, page: Page) -> None:
        if old == own or old in ("", "/"):
            return
        if is_reserved_path(old):
            self.item_warnings.append(
                f"old URL {old} is answered by the build or the functions now: no redirect"
            )
            return
        if len(old) > REDIRECT_MAX_LENGTH:
            self.item_warnings.append(
                f"old URL {old[:60]}... is longer than a redirect can hold "
                f"({REDIRECT_MAX_LENGTH} characters): no redirect"
            )
            return
        live = Page.objects.filter(
            url_path=self.site.root_page.url_path + old.strip("/") + "/", live=True
        ).exclude(pk=page.pk)
        if "?" not in old and live.exists():
            self.item_warnings.append(f"old URL {old} is a live page's URL now: no redirect")
            return
        redirect = self.redirects.get(old)
        if redirect is not None and redirect.redirect_page_id == page.pk:
            return
        if redirect is None:
            redirect = Redirect(old_path=old, site=self.site, is_permanent=True)
        redirect.redirect_page = page
        redirect.redirect_link = ""
        redirect.save()
        self.redirects[old] = redirect
        self.report.redirects += 1

    def attachment_redirects(self, att: _Attachment) -> None:
        """An attachment's own page (``/post/name/``, ``?attachment_id=N``) -> the post it is in."""
        page = self.pages.get(att.item.parent_id)
        if page is None or not Page.objects.filter(pk=page.pk, live=True).exists():
            return
        own = Redirect.normalise_path(self.public_path(page))
        olds = [f"{self.base_path}/?attachment_id={att.item.post_id}"]
        link = self.site_path(att.item.link)
        if link and "?" not in link:
            olds.append(link)
        for old in olds:
            self.redirect(Redirect.normalise_path(old), own, page)
        self.flush_warnings(att.item)

    def archive_redirects(self) -> None:
        """WordPress's archive pages -> Jamtail's: ``/category/a/b/``, ``/tag/t/`` and
        ``/type/gallery/`` -> ``/tags/<slug>/``; ``/author/login/`` -> ``/authors/<slug>/``;
        the site's feeds (``/feed/``, ``/feed/atom/``, ``?feed=rss2``...) -> ``/atom.xml``.

        Only for tags and authors of live articles (the pages a build makes), and for
        WordPress's default bases (``category``, ``tag``), which the export does not name.
        """
        live_ids = set(
            ArticlePage.objects.filter(
                pk__in=[p.pk for p in self.pages.values()], live=True
            ).values_list("pk", flat=True)
        )
        tag_slugs = dict(Tag.objects.values_list("name", "slug"))
        targets: dict[str, str] = {}
        for item in self.export.items:
            page = self.pages.get(item.post_id)
            if page is None or page.pk not in live_ids:
                continue
            for term in item.terms:
                slug = tag_slugs.get(_term_tag_name(term.domain, term.name, term.slug))
                old = self._archive_path(term.domain, term.slug)
                if slug and old:
                    targets.setdefault(old, f"/tags/{slug}/")
            for login in _author_logins(item):
                author = self.export.authors.get(login)
                name = author.display_name if author else login
                old = f"{self.base_path}/author/{make_slug(login, fallback='author')}/"
                targets.setdefault(old, f"/authors/{make_slug(name, fallback='author')}/")
        if live_ids:
            # Feed readers keep WordPress's feed addresses: they go to the site's Atom
            # feed (Jamtail writes /atom.xml when there is an article).
            base = self.base_path
            for old in (
                "/feed/", "/feed/rss2/", "/feed/rss/", "/feed/atom/", "/feed/rdf/",
                "/?feed=rss2", "/?feed=rss", "/?feed=atom",
            ):  # fmt: skip
                targets.setdefault(f"{base}{old}", "/atom.xml")
        for old, link in targets.items():
            path = Redirect.normalise_path(old)
            if len(path) > REDIRECT_MAX_LENGTH:
                self.warn(f"archive {path[:60]}...: longer than a redirect can hold, no redirect")
                continue
            redirect = self.redirects.get(path)
            if redirect is None:
                redirect = Redirect(old_path=path, site=self.site, is_permanent=True)
            elif redirect.redirect_link == link or redirect.redirect_page_id:
                continue  # already made, or a redirect to a page (the editor's): keep it
            redirect.redirect_link = link
            redirect.save()
            self.redirects[path] = redirect
            self.report.redirects += 1

    def _archive_path(self, domain: str, slug: str) -> str:
        if domain == "category":
            chain, seen = [slug], {slug}
            while (parent := self.export.category_parents.get(chain[0], "")) and parent not in seen:
                chain.insert(0, parent)
                seen.add(parent)
            return f"{self.base_path}/category/{'/'.join(chain)}/"
        if domain == "post_tag":
            return f"{self.base_path}/tag/{slug}/"
        if domain == "post_format":
            return f"{self.base_path}/type/{slug.removeprefix('post-format-')}/"
        return ""

    def warn(self, message: str) -> None:
        self.report.warnings.append(message)

    def flush_warnings(self, item: WxrItem) -> None:
        """Report the warnings gathered while handling ``item``, naming it; start afresh."""
        for warning in self.item_warnings:
            self.warn(f"{item.post_type} #{item.post_id} {item.title!r}: {warning}")
        self.item_warnings = []


class _Resolver:
    """Images, galleries and links of one item (the ``content.WpResolver`` protocol)."""

    def __init__(self, run: _WpImport, item: WxrItem) -> None:
        self.run = run
        self.item = item

    def image(self, src: str, attachment_id: int | None = None) -> int | None:
        return self.run.image_for(src, attachment_id)

    def gallery(self, ids: list[int] | None) -> list[tuple[int, str]]:
        if ids is None:
            atts = [
                a for a in self.run.attachments.values() if a.item.parent_id == self.item.post_id
            ]
            atts.sort(key=lambda a: (a.item.menu_order, a.item.post_id))
        else:
            atts = [self.run.attachments[i] for i in ids if i in self.run.attachments]
            if len(atts) < len(ids):
                self.run.item_warnings.append("a gallery names attachments not in the export")
        images = []
        for att in atts:
            if att.image_id is not None:
                images.append((att.image_id, _plain(att.item.excerpt)))
            elif att.file is None and att.rel and _ext(att.rel) in IMAGE_EXTENSIONS:
                self.run.item_warnings.append(f"gallery image not found under --uploads: {att.rel}")
        return images

    def link(self, href: str) -> LinkTarget | None:
        path = self.run.site_path(href)
        if not path or href.startswith("#"):
            return None
        rel = _upload_rel(href)
        att = self.run.attachment_at(href) if rel is not None else None
        if att is not None and att.document_id:
            return LinkTarget("document", att.document_id)
        if rel is not None:
            file = self.run.locate(rel)
            if file is not None and file.suffix.lower() not in IMAGE_EXTENSIONS:
                return LinkTarget("document", self.run.files.document(file))
            return None
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        for key in ("p", "page_id", "attachment_id"):
            if query.get(key, [""])[0].isdigit():
                post_id = int(query[key][0])
                if key == "attachment_id" and post_id in self.run.attachments:
                    post_id = self.run.attachments[post_id].item.parent_id
                return self._page(post_id)
        # Percent-encoding differs between links (%e4 in WordPress, %E4 in browsers,
        # or the characters themselves): paths are compared decoded.
        bare = unquote(parts.path)
        by_path = self.run.path_to_id.get(bare) or self.run.path_to_id.get(bare.rstrip("/") + "/")
        return self._page(by_path) if by_path else None

    def _page(self, post_id: int) -> LinkTarget | None:
        page = self.run.pages.get(post_id)
        target = self.run.by_id.get(post_id)
        if page is None or target is None:
            return None
        if target.status != "publish":
            # A link to a page that is not public would be a broken link on the static site.
            self.run.item_warnings.append(
                f"links to #{post_id} {target.title!r}, which is not public ({target.status}): "
                "the link keeps its old URL"
            )
            return None
        return LinkTarget("page", page.pk)

    def is_embed_url(self, url: str) -> bool:
        return any(p.match(url) for p in _EMBED_PATTERNS)

    def footnotes(self) -> list[tuple[str, str]]:
        try:
            notes = json.loads(self.item.meta.get("footnotes") or "[]")
        except ValueError:
            self.run.item_warnings.append("its footnotes could not be read: they are missing")
            return []
        if not isinstance(notes, list):
            return []
        return [
            (str(n.get("id", "")), str(n.get("content", ""))) for n in notes if isinstance(n, dict)
        ]

    def reusable(self, ref: int) -> str | None:
        block = self.run.by_id.get(ref)
        if block is None or block.post_type not in ("wp_block", "wp_pattern"):
            return None
        return block.content

    def is_local(self, url: str) -> bool:
        return self.run.is_local(url)


SEO_TITLE_KEYS = ("_yoast_wpseo_title", "rank_math_title", "_aioseop_title",
                  "_seopress_titles_title", "_genesis_title")  # fmt: skip
SEO_DESCRIPTION_KEYS = ("_yoast_wpseo_metadesc", "rank_math_description", "_aioseop_description",
                        "_seopress_titles_desc", "_genesis_description")  # fmt: skip


def _seo(item: WxrItem, keys: tuple[str, ...]) -> str:
    """The title or description an SEO plugin (Yoast, Rank Math, All in One SEO,
    SEOPress, Genesis) kept for the item, ``""`` when none did, or when it is a
    template of the plugin's variables (``%%title%% %%sep%% %%sitename%%``), which
    only the plugin can fill in."""
    for key in keys:
        value = _plain(item.meta.get(key, ""))
        if value and "%%" not in value and not re.search(r"%\w+%", value):
            return value
    return ""


def _author_logins(item: WxrItem) -> list[str]:
    """The logins of a post's authors: Co-Authors Plus's ``author`` terms (``cap-<login>``)
    in order, else ``dc:creator``; ``[]`` when it names none."""
    terms = [t.name or t.slug.removeprefix("cap-") for t in item.terms_in("author")]
    return [login for login in dict.fromkeys(terms or [item.creator]) if login]


def _term_tag_name(domain: str, name: str, slug: str) -> str:
    """The Jamtail tag a WordPress term becomes (``""``: none): categories and tags by
    name, a post format by its format's name (``post-format-gallery`` -> ``Gallery``)."""
    if domain in ("category", "post_tag") and name and slug != "uncategorized":
        return name[:100]
    if domain == "post_format" and slug != "post-format-standard":
        return slug.removeprefix("post-format-").replace("-", " ").title()[:100]
    return ""


def _rel_keys(rel: str) -> list[str]:
    """The paths an attachment is known by: its own, and for WordPress 5.3+'s big-image
    copies (``photo-scaled.jpg``, ``photo-rotated.jpg``) the original's, which resized
    copies (``photo-300x200.jpg``) are named after."""
    if not rel:
        return []
    return list(dict.fromkeys([rel, re.sub(r"-(?:scaled|rotated)(?=\.\w+$)", "", rel)]))


def _upload_rel(url: str) -> str | None:
    """The path of an uploaded file under ``wp-content/uploads/`` (or multisite ``files/``)."""
    path = unquote(urlsplit(url).path)
    for marker in ("/wp-content/uploads/", "/wp-content/blogs.dir/", "/files/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return None


def _site_hosts(export: WxrExport) -> set[str]:
    """The hosts the site has had (without ``www.``): its own, and those of its items'
    ``guid``s of the form ``host/?p=N`` (WordPress writes the guid once, so a site
    that moved from ``name.wordpress.com`` or ``old.example.com`` still names it
    there, and its posts' links to each other often do too)."""
    hosts = {
        _bare(urlsplit(url).netloc.lower())
        for url in (export.base_site_url, export.link)
        if urlsplit(url).netloc
    }
    for item in export.items:
        parts = urlsplit(item.guid)
        if parts.netloc and re.fullmatch(r"(?:p|page_id|attachment_id)=\d+", parts.query):
            hosts.add(_bare(parts.netloc.lower()))
    return hosts


def _bare(host: str) -> str:
    return host.removeprefix("www.")


def _ext(rel: str) -> str:
    return Path(rel).suffix.lower()


def _title(item: WxrItem) -> str:
    title = _plain(item.title)
    return (title or f"Untitled {item.post_type} #{item.post_id}")[:255]


def _plain(html: str) -> str:
    import html as html_lib

    text = html_lib.unescape(re.sub(r"<[^>]+>", "", html or ""))
    return " ".join(text.split())


def _parents_first(items: list[WxrItem]) -> list[WxrItem]:
    """Pages level by level (parents before children; WordPress exports in id order, not
    tree order), siblings in WordPress's page order (``menu_order``), then file order."""
    by_id = {i.post_id: i for i in items}

    def depth(item: WxrItem) -> int:
        seen = {item.post_id}
        n = 0
        while item.post_type == "page" and item.parent_id in by_id and item.parent_id not in seen:
            item = by_id[item.parent_id]
            seen.add(item.post_id)
            n += 1
        return n

    return sorted(items, key=lambda i: (depth(i), i.menu_order if i.post_type == "page" else 0))


__all__ = ["import_wordpress"]
