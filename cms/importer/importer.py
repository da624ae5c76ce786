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
writers never wait for a whole import). Pages new to the site are inserted and
published in bulk per batch (``bulk.py``) after each is validated once in a
savepoint of its own; changed pages go through Wagtail's ``save_revision()`` and
``publish()``, each file in a savepoint: a file that fails is reported and
leaves nothing behind, the rest import. The whole import makes one build
request (``one_build_request``). A file whose digest is
unchanged since the last import is skipped. ``dry_run`` runs every stage in
one transaction that is rolled back and stores no image or document files.
Raises :class:`TargetError` when the parent page does not exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import posixpath
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from taggit.models import Tag
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
from cms.publishing.outbox import one_build_request
from cms.sync.capture import append as append_changes
from cms.sync.models import ChangeLogEntry
from jamtail.collector import collector_paused
from jamtail.outputs.redirects import is_function_path

from . import bulk
from .anchors import HeadingIds
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
    TRANSLATION_REASON,
    ImportPlan,
    PlannedPage,
    failed_outcome,
    locate_local,
    plan_import,
    strip_base_path,
    url_key,
)
from .report import PAGE, SKIPPED, FileOutcome, ImportReport
from .slugs import SiblingSlugs, dedupe, make_slug

logger = logging.getLogger(__name__)

PAGE_MODELS: dict[str, type[Page]] = {
    SECTION: SectionPage,
    ARTICLE: ArticlePage,
    "standard": StandardPage,
}


@collector_paused()
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
    renditions: bool = False,
) -> ImportReport:
    """Import the content folder ``root`` below the page at URL path ``parent_path``.

    ``static_dirs`` are folders where site-absolute asset paths are also looked
    up (``--static``); ``family`` is one of :data:`families.FAMILIES` (default:
    detected), ``config_path`` the site's configuration file (default: found
    beside ``root``). Inline HTML is sanitised with nh3 unless ``trust_html``.
    With ``renditions`` the new images' API renditions are made once the
    pages are written; otherwise the build makes them on first use.
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
    root, outside = content_root(root, config)
    if outside and slug is None:
        slug = root.resolve().parent.name  # the site's folder was named: its name, not "content"
    if not statics:
        statics = default_static_dirs(root.resolve(), config)
    plan = plan_import(root, make_slug(slug) if slug else None, statics, config)
    logger.info("planned %d pages in %.1fs", len(plan.pages), time.monotonic() - started)
    report = ImportReport(
        failed=list(plan.failures),
        dry_run=dry_run,
        files=[*outside, *plan.files],
        family=config.family,
    )
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    with outer, one_build_request("import"):
        site, parent = find_parent(parent_path)
        run = _Import(plan, site, parent, report, dry_run, config)
        run.trust_html = trust_html
        run.progress = progress
        run.place_pages()
        run.write_pages()
        with transaction.atomic():
            run.taxonomy_redirects()
        if renditions and not dry_run:
            run.files.prepare_renditions()
        report.images = run.files.created_images
        report.documents = run.files.created_documents
        if dry_run:
            transaction.set_rollback(True)
    report.failed.sort(key=lambda e: e.path)
    report.files += [failed_outcome(e) for e in report.failed]
    report.files.sort(key=lambda f: f.path)
    report.seconds = time.monotonic() - started
    return report


def _taxonomy_terms(config: SiteConfig, params: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """``[(taxonomy, terms)]`` of one page: Hugo's front matter keys, Zola's ``[taxonomies]``."""
    found: list[tuple[str, list[str]]] = []
    if config.family == "zola":
        table = params.get("taxonomies")
        items = table.items() if isinstance(table, dict) else []
    else:
        names = config.taxonomies or ["tags", "categories"]
        items = [(name, params.get(name)) for name in names if name != "authors"]
    for name, terms in items:
        if isinstance(terms, str):
            terms = [terms]
        if isinstance(terms, list) and name != "authors":
            found.append((str(name), [str(t) for t in terms if str(t).strip()]))
    return found


def _urlize(term: str) -> str:
    """A term as Hugo's ``urlize`` and Zola's ``slugify`` write it in a URL: ``getting-started``."""
    return re.sub(r"[^\w.~-]+", "-", term.strip().lower()).strip("-")


def content_root(root: Path, config: SiteConfig) -> tuple[Path, list[FileOutcome]]:
    """The folder to import when ``root`` is a site's root rather than its content folder.

    When ``root`` holds the site's configuration and the family keeps content
    in a folder of its own (Hugo's ``contentDir``, default ``content``; Zola's
    ``content``; Eleventy's ``dir.input``), that folder is imported and every
    other entry of ``root`` is reported as skipped (paths start with ``../``,
    from the content folder). Otherwise ``(root, [])``.
    """
    site_root = config.site_root
    if not config.content_dir or site_root is None or site_root != root.resolve():
        return root, []
    content = root / config.content_dir
    if not content.is_dir():
        return root, []
    prefix = "../" * len(Path(config.content_dir).parts)
    translation_dirs = {
        (root / folder).resolve(): lang for lang, folder in config.translations.items() if folder
    }
    outcomes = []
    level, parts = root, Path(config.content_dir).parts
    for depth, part in enumerate(parts):  # every entry beside the path down to the content
        for entry in sorted(level.iterdir()):
            if entry.name == part:
                continue
            rel = prefix + "/".join([*parts[:depth], entry.name]) + ("/" if entry.is_dir() else "")
            outcomes.append(_outside_outcome(entry, rel, config, translation_dirs))
        level = level / part
    return content, outcomes


_BUILD_FOLDERS = {
    "node_modules": "build tooling",
    "public": "the built site (or files copied into it)",
    "_site": "the built site",
    "resources": "Hugo's generated resources",
    "vendor": "vendored dependencies",
}
"""Big folders beside the content that are not counted file by file."""


def _outside_outcome(
    entry: Path, rel: str, config: SiteConfig, translation_dirs: dict[Path, str]
) -> FileOutcome:
    """Why ``entry``, beside the content folder in the site root, is not imported."""
    content_dir = config.content_dir
    if entry.resolve() in translation_dirs:
        count = sum(len(files) for _, _, files in os.walk(entry))
        lang = translation_dirs[entry.resolve()]
        reason = f"{TRANSLATION_REASON.format(lang=lang, default=config.default_language)}"
        return FileOutcome(rel, SKIPPED, f"{reason} ({count} files)")
    if entry.name.startswith("."):
        return FileOutcome(rel, SKIPPED, "hidden file or folder")
    if entry.is_file() and config.source is not None and entry.resolve() == config.source.resolve():
        return FileOutcome(rel, SKIPPED, "site configuration (see --config)")
    if entry.name in _BUILD_FOLDERS:
        what = _BUILD_FOLDERS[entry.name]
        return FileOutcome(rel, SKIPPED, f"outside the content folder {content_dir}/: {what}")
    if entry.is_dir():
        count = sum(len(files) for _, _, files in os.walk(entry))
        return FileOutcome(
            rel, SKIPPED, f"outside the content folder {content_dir}/: site files ({count} files)"
        )
    return FileOutcome(rel, SKIPPED, f"outside the content folder {content_dir}/: a site file")


def default_static_dirs(root: Path, config: SiteConfig) -> list[Path]:
    """Where site-absolute asset paths are looked up when ``--static`` is not given.

    Hugo's and Zola's ``static/`` beside the content folder; for Eleventy, the
    folders ``addPassthroughCopy`` maps to the site's root (``{"./public/": "/"}``)
    and the project folder itself (passthrough copies keep their paths).
    """
    site_root = config.site_root or root.parent
    found: list[Path] = []
    if config.family in ("hugo", "zola"):
        found.append(site_root / "static")
    if config.family == "eleventy" and config.source is not None:
        try:
            text = config.source.read_text(encoding="utf-8")
        except OSError:
            text = ""
        mapped = re.findall(r"""["'](?:\./)?([\w./-]+?)/?["']\s*:\s*["']/["']""", text)
        found += [site_root / folder for folder in mapped]
        found.append(site_root)
    return [folder for folder in dict.fromkeys(found) if folder.is_dir() and folder != root]


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
        self.bulk = bulk.supports_bulk_insert()
        """New pages are written in bulk (``bulk.py``) where the database returns new ids."""
        self.pending: dict[int, tuple[Page, list[Page]]] = {}
        self.new_redirects: list[Redirect] = []
        self.url_paths: dict[str, int] | None = None
        self.authors = {a.slug: a for a in Author.objects.all()}
        self.redirects = {r.old_path: r for r in Redirect.objects.filter(site=site)}
        self.claimed_paths: dict[str, str] = {}
        root_url = site.root_page.url_path
        self.site_prefix_len = len(root_url) - 1
        self.root_url = root_url

    def page_id_at(self, path: str) -> int | None:
        """The id of the page at the site path ``path``: existing ones read once, new ones added."""
        if self.url_paths is None:
            pages = Page.objects.filter(path__startswith=self.site.root_page.path)
            self.url_paths = dict(pages.values_list("url_path", "pk"))
        url_path = self.root_url + path.strip("/") + "/" if path.strip("/") else self.root_url
        return self.url_paths.get(url_path)

    def page_at(self, path: str) -> Page | None:
        """A page already in the site at the site path ``path`` (from any import or editor)."""
        url_path = self.root_url + path.strip("/") + "/" if path.strip("/") else self.root_url
        return Page.objects.filter(url_path=url_path).first()

    def taxonomy_redirects(self) -> None:
        """Hugo's and Zola's term pages -> Jamtail's tag pages (``/categories/x/`` -> ``/tags/x/``).

        Each taxonomy term of a live article had a page at ``/<taxonomy>/<term>/``
        (Hugo urlizes the term, Zola slugifies it); its terms are tags here, so
        that address becomes a permanent redirect to the tag's page, unless it
        already is that page (``/tags/x/``) or something else answers it.
        """
        if self.config.family not in ("hugo", "zola"):
            return
        tag_slugs = dict(Tag.objects.values_list("name", "slug"))
        targets: dict[str, str] = {}
        for planned in self.plan.pages:
            page = self.pages.get(planned.key)
            if planned.kind != ARTICLE or planned.doc.draft or page is None:
                continue
            for taxonomy, terms in _taxonomy_terms(self.config, planned.doc.params):
                for term in terms:
                    slug = tag_slugs.get(term)
                    if not slug:
                        continue
                    base = self.config.base_path
                    old = Redirect.normalise_path(f"{base}/{taxonomy}/{_urlize(term)}/")
                    if old != Redirect.normalise_path(f"/tags/{slug}/"):
                        targets.setdefault(old, f"/tags/{slug}/")
        for old, link in targets.items():
            if old in self.redirects or self.page_id_at(old) is not None:
                continue  # an address the site answers already, or an editor's redirect
            redirect = Redirect(old_path=old, site=self.site, is_permanent=True, redirect_link=link)
            redirect.save()
            self.redirects[old] = redirect
            self.report.redirects += 1

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
                self.insert_pending()

    def insert_pending(self) -> None:
        """Insert the new pages placed so far, each parent's in one go (``bulk.add_children``)."""
        for parent, children in self.pending.values():
            bulk.add_children(parent, children)
            if self.url_paths is not None:
                self.url_paths.update((child.url_path, child.pk) for child in children)
        self.pending = {}

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
        if (
            planned.implicit
            and planned.parent_key is None
            and parent is self.parent
            and (_accepts_articles(parent))
        ):
            self.adopted.add(planned.key)
            return parent
        if parent is None:
            raise SourceError(planned.rel_path, f"its section {planned.parent_key} failed")
        if parent.pk is None:  # a section placed earlier in this batch
            self.insert_pending()
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
        if self.bulk:
            self.pending.setdefault(parent.pk, (parent, []))[1].append(page)
        else:
            parent.add_child(instance=page)
            if self.url_paths is not None:
                self.url_paths[page.url_path] = page.pk
        slugs.add(page.slug)
        self.new_keys.add(planned.key)
        return page

    # --- stage 3: write -------------------------------------------------------------

    def write_pages(self) -> None:
        total = len(self.plan.pages)
        done = 0
        for batch in _batches(self.plan.pages):
            with transaction.atomic():
                fresh: list[tuple[PlannedPage, Page]] = []
                for planned in batch:
                    done += 1
                    if self.progress is not None:
                        self.progress(done, total)
                    page = self.pages.get(planned.key)
                    if page is None or planned.key in self.adopted:
                        continue
                    if self.bulk and planned.key in self.new_keys:
                        if self.prepare_new(planned, page):
                            fresh.append((planned, page))
                    else:
                        self.write_one(planned, page)
                self.publish_fresh(fresh)
                self.save_redirects()

    def prepare_new(self, planned: PlannedPage, page: Page) -> bool:
        """Give a new page its content and validate it once; False (reported) if it fails."""
        try:
            with transaction.atomic():  # a savepoint: tags or authors it made go if it fails
                self.fill(planned, page)
                page.clean_fields(exclude=[f.name for f in page._meta.fields if f.is_relation])
        except Exception as exc:
            self.fail(planned, exc)
            return False
        return True

    def publish_fresh(self, fresh: list[tuple[PlannedPage, Page]]) -> None:
        """Publish a batch of new pages in bulk (drafts: a revision only); see ``bulk.py``.

        Should the bulk write fail, its savepoint is rolled back and each page
        is written again on its own through Wagtail's ordinary path, so a bad
        page fails alone.
        """
        if not fresh:
            return
        pages = [page for _, page in fresh]
        live = [page for planned, page in fresh if not planned.doc.draft]
        try:
            with transaction.atomic():
                bulk.publish_new(pages, live)
                ImportSource.objects.bulk_create(
                    [
                        ImportSource(key=planned.key, page=page, digest=self.digest(planned))
                        for planned, page in fresh
                        if planned.key not in self.sources
                    ]
                )
                for planned, page in fresh:
                    if planned.key in self.sources:
                        ImportSource.objects.filter(key=planned.key).update(
                            page=page, digest=self.digest(planned)
                        )
        except Exception:
            logger.exception("bulk write of %d pages failed; writing them one by one", len(fresh))
            self.files.forget()
            for planned, page in fresh:
                self.write_one(planned, type(page).objects.get(pk=page.pk))
            return
        for planned, page in fresh:
            self.add_redirects(planned, page)
            self.account(planned, page)
            self.report.created += 1
            if planned.doc.draft:
                self.report.drafts += 1

    def write_one(self, planned: PlannedPage, page: Page) -> None:
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
        self.fill(planned, page)
        if planned.doc.draft:
            if page.live:
                page.unpublish(log_action=False)
            page.save()
            page.save_revision()
        else:
            page.save_revision().publish()
        self.add_redirects(planned, page)
        self.save_redirects()
        ImportSource.objects.update_or_create(
            key=planned.key, defaults={"page": page, "digest": self.digest(planned)}
        )

    def fill(self, planned: PlannedPage, page: Page) -> None:
        """Set ``page``'s fields, body, tags and authors from ``planned`` (in memory)."""
        resolver = _Resolver(self, planned)
        page.title = planned.title
        self.set_fields(page, planned)
        if isinstance(page, SectionPage):
            page.intro = markdown_to_rich_text(planned.tokens, resolver, self.trust_html)
        else:
            config = self.config
            ids = HeadingIds(
                config.heading_ids, config.heading_id_prefix, config.definition_term_ids
            )
            blocks = markdown_to_blocks(planned.tokens, resolver, self.trust_html, ids)
            page.body = _with_ids(blocks)
        if isinstance(page, ArticlePage):
            if planned.hero is not None:
                page.hero_image_id = self.files.image(planned.hero, planned.title).id
            page.tags.set(planned.doc.tags)
            page.article_authors = [
                ArticleAuthor(author=self.author(name), sort_order=i)
                for i, name in enumerate(planned.doc.authors)
            ]

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
        """Permanent redirects from each old URL of ``planned`` to ``page``.

        None for a draft: its old URL was never public (Hugo/Zola drafts,
        Jekyll's ``_drafts``, ``permalink: false``...), and a redirect to a
        page that is not live would lead readers to a missing page.
        """
        if planned.doc.draft:
            return
        own = Redirect.normalise_path(page.url_path[self.site_prefix_len :])
        base = self.config.base_path  # a site at example.org/blog/: its URLs start /blog/
        for url in planned.old_urls():
            old = Redirect.normalise_path(base + "/" + url.lstrip("/"))
            if old == own or old == "/":
                continue
            if is_reserved_path(old):
                self.report.skipped_redirects.append(
                    f"{planned.rel_path}: {old}: {RESERVED_REASON}"
                )
                continue
            existing = self.page_id_at(old)
            if existing is not None and existing != page.pk:
                continue  # a live address of another page: a redirect would shadow it
            claimant = self.claimed_paths.setdefault(old, planned.key)
            if claimant != planned.key:
                self.report.warnings.append(
                    f"{planned.rel_path}: old URL {old} already redirects to {claimant}"
                )
                continue
            redirect = self.redirects.get(old)
            if redirect is None:
                redirect = Redirect(
                    old_path=old, site=self.site, is_permanent=True, redirect_page=page
                )
                self.new_redirects.append(redirect)
                self.redirects[old] = redirect
                self.report.redirects += 1
                continue
            if redirect.redirect_page_id == page.pk and redirect.is_permanent:
                continue
            redirect.redirect_page = page
            redirect.redirect_link = ""
            redirect.is_permanent = True
            redirect.save()

    def save_redirects(self) -> None:
        """Insert the redirects added since the last call in one go, with their change-log rows.

        ``bulk_create`` sends no ``post_save``, so the sync change log gets the
        rows the outbox would have written for each (``redirect_change``).
        """
        if not self.new_redirects:
            return
        if self.bulk:
            Redirect.objects.bulk_create(self.new_redirects, batch_size=200)
            append_changes(
                [(ChangeLogEntry.REDIRECT, r.pk) for r in self.new_redirects], "redirect_change"
            )
        else:
            for redirect in self.new_redirects:
                redirect.save()
        self.new_redirects = []


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
        found = self.old_url_link(href)
        if found is None:
            self.unresolved(href)
        return found

    def old_url_link(self, href: str) -> LinkTarget | None:
        """The page at ``href`` read as an address of the old site (relative to the page's)."""
        path = strip_base_path(unquote(urlsplit(href).path), self.run.config.base_path)
        base = self.planned.source_url
        if base is None and self.planned.doc.path:
            base = "/" + url_key(self.planned.doc.path) + "/"
        if not path.startswith("/") and base:
            path = posixpath.join(base if base.endswith("/") else posixpath.dirname(base), path)
        old = url_key(posixpath.normpath(path))
        key = self.run.plan.key_for_url(posixpath.normpath(path))
        if key is None and self.run.config.family == "hugo" and not href.startswith((".", "/")):
            # Hugo looks a page path up relative to the page, then from the content root
            # (gohugo.io/methods/page/getpage/, as ref and relref do).
            key = self.run.plan.key_for_url(posixpath.normpath(unquote(urlsplit(href).path)))
        if key is None and not old and path.startswith("/"):
            key = f"{self.run.plan.root_name}/"  # the old site's home: the import's top page
            key = next((p.key for p in self.run.plan.pages if p.parent_key is None), key)
        found = self.page_link(key) if key else None
        if found is None and path.startswith("/"):
            existing = self.run.page_at(posixpath.normpath(path))
            found = LinkTarget("page", existing.pk) if existing else None
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
        return locate_local(
            self.planned, self.root, plan.folders, url, plan.static_dirs, self.run.config.base_path
        )

    def file_url(self, href: str) -> str | None:
        if not is_local_url(href) or not urlsplit(href).path:
            return None
        target = self.locate(href)
        if target is None:
            page = self.old_url_link(href)
            if page is not None:  # an HTML link to a page's old address: its new one
                url_path = Page.objects.values_list("url_path", flat=True).get(pk=page.id)
                return url_path[self.run.site_prefix_len :]
            self.unresolved(href)
            return None
        if target.name.endswith(CONTENT_EXTENSIONS):
            return None
        if target.suffix.lower() in IMAGE_EXTENSIONS:
            return self.run.files.image(target, "").url
        return self.run.files.document_url(target)


RESERVED_REASON = "reserved: the functions or the build answer this path, not a redirect"
BUILDER_PATHS = ("/search", "/_search")
"""Paths the static build writes itself (the search page and its index, ``jamtail/plan.py``)."""


def is_reserved_path(path: str) -> bool:
    """Whether a redirect from ``path`` would shadow a function (``/api/*``, ``/preview``)
    or a page the build makes (``/search/``): such old URLs are skipped and reported."""
    bare = path.partition("?")[0].rstrip("/") or "/"
    return is_function_path(path) or any(
        bare == p or bare.startswith(p + "/") for p in BUILDER_PATHS
    )


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
