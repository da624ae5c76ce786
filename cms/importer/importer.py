"""Write an :class:`ImportPlan` into Wagtail: pages, revisions, redirects, media.

``import_directory(root, parent_path="/", slug=None, dry_run=False)`` runs the
stages in a straight line and returns an :class:`ImportReport`:

1. plan     read and parse every file, lay out the tree (``plan.py``, no DB)
2. place    find each file's page through ``ImportSource`` or create it,
            unpublished and without a body, so every page has an id
3. write    convert bodies (links resolve to those ids), set authors and tags,
            save a revision and publish it (drafts: revision only, never live),
            add redirects for ``path`` and ``aliases``, record the digest

Pages are written in transactions of ``BATCH_PAGES`` (few commits, yet other
writers never wait for a whole import), each file in a savepoint of its own: a
file that fails is reported and leaves nothing behind, the rest import. A file whose digest is
unchanged since the last import is skipped. ``dry_run`` runs every stage in
one transaction that is rolled back and stores no image or document files.
Raises :class:`TargetError` when the parent page does not exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import posixpath
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, Site

from cms.content.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    ImportSource,
    SectionPage,
    StandardPage,
)

from .errors import SourceError, TargetError
from .families import SiteConfig, detect_family, load_config
from .markdown import (
    MISSING_IMAGE,
    ImageTarget,
    LinkTarget,
    has_inline_html,
    is_local_url,
    markdown_to_blocks,
    markdown_to_rich_text,
)
from .media import LibraryFiles
from .plan import (
    ARTICLE,
    CONTENT_EXTENSIONS,
    IMAGE_EXTENSIONS,
    SECTION,
    ImportPlan,
    PlannedPage,
    failed_outcome,
    locate_local,
    plan_import,
    url_key,
)
from .report import PAGE, FileOutcome, ImportReport
from .slugs import SiblingSlugs, dedupe, make_slug

logger = logging.getLogger(__name__)

PAGE_MODELS: dict[str, type[Page]] = {
    SECTION: SectionPage,
    ARTICLE: ArticlePage,
    "standard": StandardPage,
}


def import_directory(
    root: Path | str,
    parent_path: str = "/",
    slug: str | None = None,
    dry_run: bool = False,
    static_dirs: list[Path] | None = None,
    family: str | None = None,
    config_path: Path | None = None,
    trust_html: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the content folder ``root`` below the page at URL path ``parent_path``.

    ``static_dirs`` are folders where site-absolute asset paths are also looked
    up (``--static``); ``family`` is one of :data:`families.FAMILIES` (default:
    detected), ``config_path`` the site's configuration file (default: found
    beside ``root``). Inline HTML is sanitised with nh3 unless ``trust_html``.
    Returns the report; raises :class:`TargetError` when the
    folder, the configuration or the parent page is unusable.
    """
    started = time.monotonic()
    root = Path(root)
    if not root.is_dir():
        raise TargetError(f"{root} is not a folder")
    for static in static_dirs or []:
        if not Path(static).is_dir():
            raise TargetError(f"--static {static} is not a folder")
    statics = [Path(d) for d in static_dirs or []]
    if config_path is not None and not Path(config_path).is_file():
        raise TargetError(f"--config {config_path} is not a file")
    config = load_config(family or detect_family(root.resolve()), root.resolve(), config_path)
    if config.family == "hugo" and not statics and (root.resolve().parent / "static").is_dir():
        statics.append(root.resolve().parent / "static")
    plan = plan_import(root, make_slug(slug) if slug else None, statics, config)
    logger.info("planned %d pages in %.1fs", len(plan.pages), time.monotonic() - started)
    report = ImportReport(
        failed=list(plan.failures), dry_run=dry_run, files=list(plan.files), family=config.family
    )
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    with outer:
        site, parent = find_parent(parent_path)
        run = _Import(plan, site, parent, report, dry_run, config)
        run.trust_html = trust_html
        run.progress = progress
        run.place_pages()
        run.write_pages()
        report.images = run.files.created_images
        report.documents = run.files.created_documents
        if dry_run:
            transaction.set_rollback(True)
    report.failed.sort(key=lambda e: e.path)
    report.files += [failed_outcome(e) for e in report.failed]
    report.files.sort(key=lambda f: f.path)
    report.seconds = time.monotonic() - started
    return report


def find_parent(url_path: str) -> tuple[Site, Page]:
    """The default site and the page at ``url_path`` in it (``"/"`` is its root page)."""
    site = Site.objects.select_related("root_page").filter(is_default_site=True).first()
    if site is None:
        raise TargetError("there is no default Wagtail site; create one in Settings > Sites")
    root = site.root_page
    path = url_path.strip("/")
    if not path:
        return site, root.specific
    page = Page.objects.filter(url_path=f"{root.url_path}{path}/").first()
    if page is None:
        raise TargetError(f"no page at {url_path!r} in site {site}; check --parent")
    return site, page.specific


class _Import:
    """The place and write stages over one plan; holds the lookups they share."""

    def __init__(
        self,
        plan: ImportPlan,
        site: Site,
        parent: Page,
        report: ImportReport,
        dry_run: bool,
        config: SiteConfig,
    ) -> None:
        self.plan = plan
        self.config = config
        self.trust_html = False
        self.progress: Callable[[int, int], None] | None = None
        self.site = site
        self.parent = parent
        self.report = report
        self.dry_run = dry_run
        self.files = LibraryFiles(dry_run=dry_run)
        self.sources = {
            s.key: s for s in ImportSource.objects.filter(key__startswith=f"{plan.root_name}/")
        }
        existing = Page.objects.filter(pk__in=[s.page_id for s in self.sources.values()])
        self.existing = {p.pk: p for p in existing.specific()}
        self.pages: dict[str, Page] = {}
        self.new_keys: set[str] = set()
        self.adopted: set[str] = set()
        """Keys of implicit sections merged into the import's parent page."""
        self.sibling_slugs = SiblingSlugs()
        self.authors = {a.slug: a for a in Author.objects.all()}
        self.redirects = {r.old_path: r for r in Redirect.objects.filter(site=site)}
        self.claimed_paths: dict[str, str] = {}
        root_url = site.root_page.url_path
        self.site_prefix_len = len(root_url) - 1
        self.root_url = root_url

    def page_at(self, path: str) -> Page | None:
        """A page already in the site at the site path ``path`` (from any import or editor)."""
        url_path = self.root_url + path.strip("/") + "/" if path.strip("/") else self.root_url
        return Page.objects.filter(url_path=url_path).first()

    # --- stage 2: place -------------------------------------------------------------

    def place_pages(self) -> None:
        for batch in _batches(self.plan.pages):
            with transaction.atomic():
                for planned in batch:
                    try:
                        with transaction.atomic():  # a savepoint: one file fails alone
                            self.pages[planned.key] = self.place(planned)
                    except SourceError as exc:
                        self.report.failed.append(exc)

    def place(self, planned: PlannedPage) -> Page:
        model = PAGE_MODELS[planned.kind]
        source = self.sources.get(planned.key)
        page = self.existing.get(source.page_id) if source else None
        if page is not None:
            if type(page) is not model:
                raise SourceError(
                    planned.rel_path,
                    f"it was imported as {type(page).__name__} #{page.pk} but is now a "
                    f"{model.__name__}; delete that page to re-import it",
                )
            return page
        parent = self.parent if planned.parent_key is None else self.pages.get(planned.parent_key)
        if planned.implicit and parent is self.parent and _accepts_articles(parent):
            self.adopted.add(planned.key)
            return parent
        if parent is None:
            raise SourceError(planned.rel_path, f"its section {planned.parent_key} failed")
        parent_model = parent.specific_class
        if model not in parent_model.allowed_subpage_models() or (
            parent_model not in model.allowed_parent_page_models()
        ):
            raise SourceError(
                planned.rel_path,
                f"a {model.__name__} is not allowed under {parent_model.__name__} "
                f"{parent.title!r}; import into a section (--parent) or add an _index.md",
            )
        slugs = self.sibling_slugs.taken(parent)
        page = model(
            title=planned.title,
            slug=dedupe(planned.slug, slugs),
            live=False,
            has_unpublished_changes=True,
        )
        self.set_fields(page, planned)
        parent.add_child(instance=page)
        slugs.add(page.slug)
        self.new_keys.add(planned.key)
        return page

    # --- stage 3: write -------------------------------------------------------------

    def write_pages(self) -> None:
        total = len(self.plan.pages)
        done = 0
        for batch in _batches(self.plan.pages):
            with transaction.atomic():
                for planned in batch:
                    done += 1
                    if self.progress is not None:
                        self.progress(done, total)
                    self.write_one(planned)

    def write_one(self, planned: PlannedPage) -> None:
        page = self.pages.get(planned.key)
        if page is None or planned.key in self.adopted:
            return
        source = self.sources.get(planned.key)
        if planned.key not in self.new_keys and source and source.digest == self.digest(planned):
            self.report.unchanged += 1
            self.account(planned, page)
            return
        try:
            with transaction.atomic():  # a savepoint: one file fails alone
                self.write(planned, page)
        except Exception as exc:
            self.fail(planned, exc)
            return
        self.account(planned, page)
        if planned.key in self.new_keys:
            self.report.created += 1
        else:
            self.report.updated += 1
        if planned.doc.draft:
            self.report.drafts += 1

    def digest(self, planned: PlannedPage) -> str:
        """The source digest, and how inline HTML was treated (trusting it changes pages)."""
        if not self.trust_html:
            return planned.digest
        return hashlib.sha256(f"{planned.digest}\0trusted-html".encode()).hexdigest()

    def account(self, planned: PlannedPage, page: Page) -> None:
        """Record in the report that ``planned``'s file became ``page``."""
        self.report.warnings += planned.warnings
        if has_inline_html(planned.tokens):
            if self.trust_html:
                self.report.raw_html_pages += 1
            else:
                self.report.sanitised_pages += 1
        for src in planned.missing_images:
            self.report.warnings.append(
                f"{planned.rel_path}: image not found: {unquote(src)} (its alt text kept)"
            )
        if planned.implicit:
            return
        url = page.url_path[self.site_prefix_len :]
        self.report.files.append(
            FileOutcome(planned.rel_path, PAGE, "draft" if planned.doc.draft else "", url, True)
        )

    def fail(self, planned: PlannedPage, exc: Exception) -> None:
        if isinstance(exc, SourceError):
            error = exc
        elif isinstance(exc, ValidationError):
            error = SourceError(planned.rel_path, f"invalid page: {'; '.join(exc.messages)}")
        else:
            logger.exception("unexpected error importing %s", planned.rel_path)
            error = SourceError(planned.rel_path, f"unexpected error: {exc!r}")
        self.report.failed.append(error)
        self.files.forget()
        if planned.key in self.new_keys:
            page = self.pages.pop(planned.key)
            Page.objects.get(pk=page.pk).delete()

    def write(self, planned: PlannedPage, page: Page) -> None:
        resolver = _Resolver(self, planned)
        page.title = planned.title
        self.set_fields(page, planned)
        if isinstance(page, SectionPage):
            page.intro = markdown_to_rich_text(planned.tokens, resolver, self.trust_html)
        else:
            blocks = markdown_to_blocks(planned.tokens, resolver, self.trust_html)
            page.body = _with_ids(blocks)
        if isinstance(page, ArticlePage):
            page.tags.set(planned.doc.tags)
            page.article_authors = [
                ArticleAuthor(author=self.author(name), sort_order=i)
                for i, name in enumerate(planned.doc.authors)
            ]
        if planned.doc.draft:
            if page.live:
                page.unpublish(log_action=False)
            page.save()
            page.save_revision()
        else:
            page.save_revision().publish()
        self.add_redirects(planned, page)
        ImportSource.objects.update_or_create(
            key=planned.key, defaults={"page": page, "digest": self.digest(planned)}
        )

    def set_fields(self, page: Page, planned: PlannedPage) -> None:
        doc = planned.doc
        if isinstance(page, SectionPage):
            page.description = doc.summary
            if doc.per_page:
                page.per_page = doc.per_page
            if doc.sort_by:
                page.order = "-date" if doc.sort_by in ("date", "update_date") else "tree"
        else:
            page.summary = doc.summary
        if isinstance(page, ArticlePage):
            page.date = doc.date

    def author(self, name: str) -> Author:
        slug = make_slug(name, fallback="author")
        if slug not in self.authors:
            self.authors[slug] = Author.objects.create(name=name[:255], slug=slug)
        return self.authors[slug]

    def add_redirects(self, planned: PlannedPage, page: Page) -> None:
        own = Redirect.normalise_path(page.url_path[self.site_prefix_len :])
        for url in planned.old_urls():
            old = Redirect.normalise_path("/" + url.lstrip("/"))
            if old == own or old == "/":
                continue
            existing = self.page_at(old)
            if existing is not None and existing.pk != page.pk:
                continue  # a live address of another page: a redirect would shadow it
            claimant = self.claimed_paths.setdefault(old, planned.key)
            if claimant != planned.key:
                self.report.warnings.append(
                    f"{planned.rel_path}: old URL {old} already redirects to {claimant}"
                )
                continue
            redirect = self.redirects.get(old)
            if redirect is None:
                redirect = Redirect(old_path=old, site=self.site, is_permanent=True)
                self.report.redirects += 1
            elif redirect.redirect_page_id == page.pk and redirect.is_permanent:
                continue
            redirect.redirect_page = page
            redirect.redirect_link = ""
            redirect.is_permanent = True
            redirect.save()
            self.redirects[old] = redirect


class _Resolver:
    """Links and images of one file -> ids in Wagtail (the ``markdown.Resolver`` protocol)."""

    def __init__(self, run: _Import, planned: PlannedPage) -> None:
        self.run = run
        self.planned = planned
        self.root = run.plan.root

    def link(self, href: str) -> LinkTarget | None:
        if self.run.config.is_own_url(href):
            parts = urlsplit(href)
            href = parts.path or "/"
        if href.startswith("@/"):
            return self.page_link(f"{self.run.plan.root_name}/{urlsplit(href[2:]).path}")
        if not is_local_url(href) or not urlsplit(href).path:
            return None
        target = self.locate(href)
        if target is None:
            path = unquote(urlsplit(href).path)
            if path.endswith(CONTENT_EXTENSIONS):
                target = (self.planned.base_dir / path).resolve()
        if target is not None and target.is_relative_to(self.root):
            if target.is_dir() or target.name.endswith(CONTENT_EXTENSIONS):
                names = [
                    f"{stem}{ext}" for stem in ("_index", "index") for ext in CONTENT_EXTENSIONS
                ]
                for candidate in [*(target / name for name in names), target]:
                    if candidate != target and not candidate.is_file():
                        continue
                    rel = candidate.relative_to(self.root).as_posix()
                    found = self.page_link(f"{self.run.plan.root_name}/{rel}")
                    if found:
                        return found
            elif target in self.planned.files:
                return LinkTarget("document", self.run.files.document(target))
        path = unquote(urlsplit(href).path)
        base = self.planned.source_url
        if base is None and self.planned.doc.path:
            base = "/" + url_key(self.planned.doc.path) + "/"
        if not path.startswith("/") and base:
            path = posixpath.join(base if base.endswith("/") else posixpath.dirname(base), path)
        key = self.run.plan.permalinks.get(url_key(posixpath.normpath(path)))
        found = self.page_link(key) if key else None
        if found is None and path.startswith("/"):
            existing = self.run.page_at(posixpath.normpath(path))
            found = LinkTarget("page", existing.pk) if existing else None
        if found is None:
            self.unresolved(href)
        return found

    def unresolved(self, href: str) -> None:
        """Report a local link that names no page and no file (it stays as written)."""
        self.run.report.warnings.append(
            f"{self.planned.rel_path}: local link {href} matches no page or file"
        )
        self.run.report.source_broken_links.append(f"{self.planned.rel_path}: {href}")

    def page_link(self, key: str) -> LinkTarget | None:
        page = self.run.pages.get(key)
        return LinkTarget("page", page.pk) if page is not None else None

    def image(self, src: str, alt: str) -> ImageTarget | None:
        if not is_local_url(src):
            return None
        target = self.locate(src)
        if target is None or target.suffix.lower() not in IMAGE_EXTENSIONS:
            return MISSING_IMAGE
        return self.run.files.image(target, alt)

    def locate(self, url: str) -> Path | None:
        plan = self.run.plan
        return locate_local(self.planned, self.root, plan.folders, url, plan.static_dirs)

    def file_url(self, href: str) -> str | None:
        if not is_local_url(href) or not urlsplit(href).path:
            return None
        target = self.locate(href)
        if target is None:
            self.unresolved(href)
            return None
        if target.name.endswith(CONTENT_EXTENSIONS):
            return None
        if target.suffix.lower() in IMAGE_EXTENSIONS:
            return self.run.files.image(target, "").url
        return self.run.files.document_url(target)


BATCH_PAGES = 50
"""Pages written per transaction: few commits, yet never one long transaction that
would keep other writers (the build worker, editors) waiting for the whole import."""


def _batches(pages: list[PlannedPage], size: int = BATCH_PAGES) -> Iterator[list[PlannedPage]]:
    for start in range(0, len(pages), size):
        yield pages[start : start + size]


def _accepts_articles(page: Page) -> bool:
    return ArticlePage in page.specific_class.allowed_subpage_models()


def _with_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raw StreamField data: every block (and list item) gets a fresh UUID."""
    for block in blocks:
        block["id"] = str(uuid.uuid4())
        if block["type"] == "footnotes":
            block["value"] = [
                {"type": "item", "value": item, "id": str(uuid.uuid4())} for item in block["value"]
            ]
    return blocks
