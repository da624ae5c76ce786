"""Plan an import: walk a content folder, account for every file, lay out the page tree.

Pure apart from reading files: no database access. ``plan_import(root, options)``
returns an :class:`ImportPlan` whose ``pages`` come parents first, whose
``failures`` hold a :class:`SourceError` for each content file that cannot be
imported (unreadable, bad front matter, invalid date, a failed parent section),
and whose ``files`` say what happens to every other file under ``root``.

Layout (the conventions Hugo, Zola, Jekyll and Eleventy share):

- content files are ``.md``, ``.markdown``, ``.mdx`` (and Jekyll's other
  Markdown extensions); ``_index.*`` names a
  section (Hugo's branch bundle) for its folder.
- ``index.*`` in a folder without ``_index.*`` is that folder's section index
  when the folder holds other content (at any depth) or is the root (the home
  page of Jekyll and Eleventy sites); otherwise the folder is a page bundle
  (Hugo's leaf bundle): one page, every other file in it that page's resource.
- the root always has a section: its index file, or an implicit one (titled
  after the folder) that the importer merges into ``--parent`` when that page
  is a section already.
- any other content file is a page in the nearest enclosing section; folders
  without an index (``_posts``, ``_drafts``, category folders) add no level,
  except a Hugo site's top folders, which are sections all the same.
- Jekyll: ``.html`` posts (in ``_posts``/``_drafts``) are content, their body
  one HTML block; the config's ``exclude`` paths are skipped.
- a page with a date is an article, without one a standard page.
- folders of site machinery (hidden ones, ``node_modules``, Jekyll's
  ``_layouts``, ``_includes``, ``_data``, ``_sass``, ``_site``...) are skipped
  with a reason, as are configuration files and files no page references.

Sibling slugs are made unique in sorted source-path order: ``x``, ``x-2``...
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import os
import posixpath
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markdown_it.token import Token

from .errors import SourceError
from .families import PageFacts, SiteConfig, js_strings, source_url
from .frontmatter import _NAME_DATE, Document, parse_document
from .markdown import is_local_url, parse_markdown, referenced_urls
from .parallel import plan_files
from .report import FAILED, RESOURCE, SKIPPED, FileOutcome
from .slugs import dedupe, make_slug, title_from_name
from .templates import TemplateContext, convert_templates

SECTION, ARTICLE, STANDARD = "section", "article", "standard"
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"}
CONTENT_EXTENSIONS = (".md", ".markdown", ".mdx", ".mkd", ".mkdn", ".mkdown", ".mdown", ".mdwn")
"""Markdown, by every extension Jekyll's ``markdown_ext`` and Hugo know it by."""
OTHER_MARKUP = {
    ".adoc": "AsciiDoc",
    ".asciidoc": "AsciiDoc",
    ".org": "Org mode",
    ".rst": "reStructuredText",
    ".pandoc": "Pandoc",
    ".pdc": "Pandoc",
    ".textile": "Textile",
}
"""Content formats Hugo (or Jekyll plugins) render that the importer does not read."""
MACHINERY_DIRS = {
    "node_modules": "build tooling",
    "_site": "Jekyll/Eleventy build output",
    "_layouts": "Jekyll layouts (templates)",
    "_includes": "include files (read by {% include %}, not pages)",
    "_data": "site data files",
    "_sass": "stylesheets",
    "_plugins": "Jekyll plugins",
    "_config": "site configuration",
}
CONFIG_FILES = {
    "_config.yml",
    "_config.yaml",
    "_config.toml",
    "hugo.toml",
    "hugo.yaml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "zola.toml",
    ".eleventy.js",
    "eleventy.config.js",
    "eleventy.config.mjs",
    "eleventy.config.cjs",
    "package.json",
    "Gemfile",
    "Gemfile.lock",
}
TRANSLATION_REASON = (
    "translation ({lang}): one language is imported, the default ({default}); "
    "Jamtail sites have one language"
)
_LANGUAGE_SUFFIX = re.compile(r"\.([a-z]{2,3}(?:[-_][a-z0-9]{2,8})?)\.(?:md|markdown|mdx)$", re.I)
EXCLUDED_REASON = "excluded by the site's configuration (exclude), not part of the site"
TEMPLATE_EXTENSIONS = {
    ".11tydata.js": "Eleventy directory data file (front matter for the folder's templates)",
    ".11tydata.json": "Eleventy directory data file (front matter for the folder's templates)",
    ".html": "HTML page or template (only Markdown is imported)",
    ".liquid": "Liquid template",
    ".njk": "Nunjucks template",
    ".gotmpl": "Hugo content adapter (pages it makes at build time are not imported)",
    ".11ty.js": "Eleventy JavaScript template",
}


@dataclass
class PlannedPage:
    """One page to create or update.

    ``key`` is the ImportSource key ``"<root name>/<rel path>"``; ``base_dir``
    is the folder relative links resolve against; ``images`` and ``files``
    are the existing local files the Markdown references (images by image
    syntax or ``<img>``, other files by links: future Wagtail documents).
    ``implicit`` marks a section made for a folder without an index file.
    """

    key: str
    rel_path: str
    kind: str
    parent_key: str | None
    slug: str
    title: str
    doc: Document
    tokens: list[Token]
    base_dir: Path
    images: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)
    digest: str = ""
    implicit: bool = False
    source_url: str | None = None
    """Where the page lived on the old site, by its family's permalink rules."""
    warnings: list[str] = field(default_factory=list)
    """``path:line: message`` from converting the file's template tags."""
    cover: str | None = None
    """The front matter's cover image (``cover.image``, ``image``, ``featured_image``...)."""
    hero: Path | None = None
    """The local file ``cover`` names, once found: the article's hero image."""

    def old_urls(self) -> list[str]:
        """Every URL the page answered on the old site: its own, ``path``, aliases."""
        permalink = self.doc.path
        if permalink is None and self.kind == SECTION:
            permalink = posixpath.dirname(self.rel_path).strip("/")
        urls = [self.source_url or "", permalink or "", *self.doc.aliases]
        return list(dict.fromkeys(url for url in urls if url_key(url)))


@dataclass
class ImportPlan:
    root: Path
    root_name: str
    pages: list[PlannedPage]
    failures: list[SourceError]
    permalinks: dict[str, str]
    """Old URL path (see :func:`url_key`) -> page key, from ``path`` and ``aliases``."""
    folders: dict[str, Path]
    """Old ``path`` permalink (see :func:`url_key`) -> the source folder of that page."""
    files: list[FileOutcome] = field(default_factory=list)
    """Every file under ``root`` that is not a page: resources and skipped files."""
    static_dirs: list[Path] = field(default_factory=list)
    """Folders site-absolute asset paths (``/img/x.png``) are also looked up in."""
    _any_case: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def by_key(self) -> dict[str, PlannedPage]:
        return {p.key: p for p in self.pages}

    def key_for_url(self, url: str) -> str | None:
        """The page key at old URL ``url`` (see :func:`url_key`), or None.

        A link whose case differs from the page's URL still finds it when no other page
        has the same URL in another case: Hugo lowercases every URL it makes, so
        ``/functions/urls/relURL/`` is ``/functions/urls/relurl/`` there.
        """
        found = self.permalinks.get(url_key(url))
        if found is None:
            if self._any_case is None:
                self._any_case = _unique_by_case(self.permalinks)
            found = self._any_case.get(url_key(url).casefold())
        return found


@dataclass
class SourceTree:
    """The files under a root, sorted: content files, other files, skipped folders."""

    content: list[Path]
    other: list[Path]
    skipped: list[FileOutcome]


def walk_source(
    root: Path,
    exclude: list[str] | None = None,
    html_posts: bool = False,
    translations: tuple[str, str] | None = None,
) -> SourceTree:
    """Every file under ``root``; machinery folders are one ``skipped`` entry each.

    ``exclude`` are paths or globs relative to ``root`` (Jekyll's ``exclude``):
    a folder or file they match is skipped with that reason. With
    ``html_posts`` (Jekyll), ``.html`` files in ``_posts``/``_drafts`` are
    content too: posts written in HTML, as ``jekyll-import`` makes them.
    ``translations`` is ``(languages, default)``: content files named for one
    of ``languages`` (comma-separated; Hugo's ``about.fr.md``) are skipped.
    """
    content: list[Path] = []
    other: list[Path] = []
    skipped: list[FileOutcome] = []
    patterns = [p for p in exclude or [] if p]

    def excluded(rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)

    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        for name in sorted(dirs):
            why = "hidden folder" if name.startswith(".") else MACHINERY_DIRS.get(name)
            if not why and excluded((here / name).relative_to(root).as_posix()):
                why = EXCLUDED_REASON
            if why:
                dirs.remove(name)
                count = sum(len(f) for _, _, f in os.walk(here / name))
                rel = (here / name).relative_to(root).as_posix()
                skipped.append(FileOutcome(f"{rel}/", SKIPPED, f"{why} ({count} files)"))
        dirs.sort()
        for name in sorted(names):
            path = here / name
            suffix = _LANGUAGE_SUFFIX.search(name) if translations else None
            if translations and suffix and suffix.group(1).lower() in translations[0].split(","):
                reason = TRANSLATION_REASON.format(lang=suffix.group(1), default=translations[1])
                skipped.append(FileOutcome(path.relative_to(root).as_posix(), SKIPPED, reason))
            elif excluded(path.relative_to(root).as_posix()):
                skipped.append(
                    FileOutcome(path.relative_to(root).as_posix(), SKIPPED, EXCLUDED_REASON)
                )
            elif name.lower().endswith(CONTENT_EXTENSIONS) or (
                html_posts and _is_html_post(path.relative_to(root))
            ):
                content.append(path)
            else:
                other.append(path)
    return SourceTree(content, other, skipped)


def _directory_data(root: Path, path: Path) -> dict[str, Any]:
    """Eleventy's directory data for the file at ``path``: ``<folder>.json`` and
    ``<folder>.11tydata.json``/``.js`` in each folder from ``root`` down (deeper wins).

    11ty.dev/docs/data-template-dir/. JavaScript files are not run: only their
    ``key: "string"`` pairs are read (``permalink``, ``layout``...). Tags are
    left out: they name Eleventy collections (``posts``), not subjects.
    """
    data: dict[str, Any] = {}
    folders = [path.parent, *path.parent.parents]
    for folder in reversed(folders[: folders.index(root) + 1] if root in folders else []):
        for name in (f"{folder.name}.json", f"{folder.name}.11tydata.json"):
            if (folder / name).is_file():
                try:
                    values = json.loads((folder / name).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                data.update(values if isinstance(values, dict) else {})
        for ext in (".js", ".mjs", ".cjs"):
            if (folder / f"{folder.name}.11tydata{ext}").is_file():
                data.update(js_strings(folder / f"{folder.name}.11tydata{ext}"))
    data.pop("tags", None)
    return data


def _plain_date(value: object) -> dt.date | None:
    """A front matter date value as a date, or ``None`` (not a date, or not one we read)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})", value)
        try:
            return dt.date(*(int(g) for g in match.groups())) if match else None
        except ValueError:
            return None
    return None


_TIME_WITH_OFFSET = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})\s*$"
)


def _jekyll_local_date(value: str, timezone: object) -> dt.date | None:
    """The day Jekyll files a post under: its time in the site's ``timezone`` (else UTC).

    Jekyll reads ``2019-04-02 23:30:00 -0700`` with ``Time.parse(...).localtime``,
    so the URL's ``:day`` is the day in the zone the site is built in: the
    config's ``timezone``, else the build machine's (UTC on GitHub Pages and
    most CI). ``None`` when ``value`` has no time with an offset.
    """
    match = _TIME_WITH_OFFSET.match(value)
    if not match:
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    offset = match.group(7)
    sign = -1 if offset.startswith("-") else 1
    digits = offset.lstrip("+-").replace(":", "")
    delta = (
        dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])) if digits else dt.timedelta()
    )
    try:
        moment = dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone(sign * delta))
    except ValueError:
        return None
    zone: dt.tzinfo = dt.UTC
    if isinstance(timezone, str) and timezone.strip():
        try:
            zone = ZoneInfo(timezone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
    return moment.astimezone(zone).date()


_RELATIVE_IMAGE = re.compile(r"(!\[[^\]]*\]\(\s*<?)(?![a-z][\w+.-]*:|/|#|<)([^)\s>]+)", re.I)


_COVER_KEYS = (
    "cover",
    "image",
    "featured_image",
    "featuredImage",
    "featured_img",
    "featured",
    "heroImage",
    "hero_image",
    "hero",
    "banner",
    "thumbnail",
    "header",
    "images",
)
_COVER_FIELDS = ("image", "path", "src", "url", "overlay_image", "teaser", "file")


def cover_image(meta: dict[str, Any]) -> str | None:
    """The cover image a page's front matter names, or ``None``.

    Themes call it differently: PaperMod ``cover.image``, Stack and Chirpy
    ``image`` (or ``image.path``), ``featured_image``, Astro ``heroImage``,
    Minimal Mistakes ``header.image``/``header.teaser``, Hugo's ``images``
    list, Zola's ``[extra]`` with any of these keys.
    """
    tables = [meta, meta.get("extra") if isinstance(meta.get("extra"), dict) else {}]
    for table in tables:
        for key in _COVER_KEYS:
            value = table.get(key)
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, dict):
                value = next(
                    (value[f] for f in _COVER_FIELDS if isinstance(value.get(f), str)), None
                )
            if isinstance(value, str) and value.strip() and not value.strip().startswith("{"):
                return value.strip()
    return None


def _with_media_path(body: str, media: str) -> str:
    """Relative Markdown images read from ``media`` (Chirpy's ``media_subpath``/``img_path``)."""
    prefix = media.rstrip("/") + "/"
    return _RELATIVE_IMAGE.sub(lambda m: m.group(1) + prefix + m.group(2), body)


def _is_html_post(rel: Path) -> bool:
    return rel.suffix.lower() in (".html", ".htm") and bool({"_posts", "_drafts"} & set(rel.parts))


_LANGUAGE_INDEX = re.compile(r"^(_?index)\.[a-z]{2,3}(?:[-_][a-z0-9]{2,8})?$", re.I)


def _stem(path: Path) -> str:
    """The file name without its extension; ``index.en.md`` (Hugo's language form) is ``index``."""
    stem = path.name.rsplit(".", 1)[0]
    match = _LANGUAGE_INDEX.match(stem)
    return match.group(1) if match else stem


def plan_import(
    root: Path,
    slug: str | None = None,
    static_dirs: list[Path] | None = None,
    config: SiteConfig | None = None,
) -> ImportPlan:
    """Walk ``root`` and lay out every content file (see the module docstring).

    ``config`` names the site family and its permalink rules (default: plain
    Markdown); each page's ``source_url`` follows them.
    """
    root = root.resolve()
    config = config or SiteConfig()
    root_name = root.name
    languages = (",".join(config.translations), config.default_language)
    tree = walk_source(
        root,
        config.exclude,
        html_posts=config.family == "jekyll",
        translations=languages if config.translations else None,
    )
    below: Counter[Path] = Counter()
    for path in tree.content:
        for folder in [path.parent, *path.parent.parents]:
            below[folder] += 1
            if folder == root:
                break
    section_index: dict[Path, Path] = {}
    for path in tree.content:
        if _stem(path) == "_index":
            section_index.setdefault(path.parent, path)
    bundles: set[Path] = set()
    for path in tree.content:
        folder = path.parent
        if _stem(path) == "index" and folder not in section_index:
            if folder == root or below[folder] > 1:
                section_index[folder] = path
            else:
                bundles.add(folder)
    implicit: dict[Path, str] = {}
    if config.family == "hugo":  # gohugo.io/content-management/sections/: top folders are sections
        for path in tree.content:
            parts = path.relative_to(root).parts
            top = root / parts[0]
            if len(parts) > 1 and top not in section_index and top not in bundles:
                implicit.setdefault(top, f"{root_name}/{parts[0]}/")
    layout = _Layout(root, root_name, section_index, bundles, implicit)
    finder = content_finder([p.relative_to(root).as_posix() for p in tree.content])
    includes = [d for d in (root / "_includes", root.parent / "_includes") if d.is_dir()]
    failures: list[SourceError] = []
    pages: list[PlannedPage] = []
    failed_keys: set[str] = set()
    files: list[FileOutcome] = list(tree.skipped)
    jobs: list[tuple[Path, str]] = []
    for path in sorted(tree.content, key=layout.tree_order):
        rel = path.relative_to(root).as_posix()
        if section_index.get(path.parent) not in (None, path) and _stem(path) in (
            "_index",
            "index",
        ):
            failures.append(SourceError(rel, f"{path.parent.name}/ has another index file"))
            continue
        jobs.append((path, rel))

    def plan_one(path: Path, rel: str) -> PlannedPage:
        context = TemplateContext(rel, root, includes, config.site, find_content=finder)
        return _plan_page(path, rel, layout, slug, config, context)

    for (_, rel), outcome in zip(jobs, plan_files(plan_one, jobs), strict=True):
        if isinstance(outcome, SourceError):
            failures.append(outcome)
            failed_keys.add(f"{root_name}/{rel}")
        else:
            pages.append(outcome)
    pages, headless = _without_headless(pages)
    files += headless
    root_key = layout.key(section_index[root]) if root in section_index else f"{root_name}/"
    if root not in section_index:
        pages.insert(0, _implicit_root(root, root_name, slug, config.site.get("title")))
    after_root = next((i + 1 for i, p in enumerate(pages) if p.key == root_key), 0)
    for folder, key in sorted(implicit.items(), reverse=True):  # parents before children
        pages.insert(after_root, _implicit_section(folder, key, root_key, config))
    folders = {url_key(p.doc.path): p.base_dir for p in pages if p.doc.path}
    static = [d.resolve() for d in static_dirs or []]
    planned: list[PlannedPage] = []
    for page in pages:
        try:
            if page.parent_key in failed_keys:
                raise SourceError(page.rel_path, f"its section {page.parent_key} failed")
            _collect_local_files(page, root, folders, static, config.base_path)
            planned.append(page)
        except SourceError as exc:
            failures.append(exc)
            failed_keys.add(page.key)
    pages = _by_weight(planned)
    _dedupe_slugs(pages)
    for page in pages:
        page.digest = _digest(page)
    files += _other_files(tree.other, pages, root, bundles)
    return ImportPlan(root, root_name, pages, failures, _permalinks(pages), folders, files, static)


@dataclass
class _Layout:
    """Which folders are sections (and their index file) or bundles."""

    root: Path
    root_name: str
    section_index: dict[Path, Path]
    bundles: set[Path]
    implicit: dict[Path, str] = field(default_factory=dict)
    """Folders that are sections without an index file (Hugo's top folders) -> their key."""

    def key(self, path: Path) -> str:
        return f"{self.root_name}/{path.relative_to(self.root).as_posix()}"

    def is_section_index(self, path: Path) -> bool:
        return self.section_index.get(path.parent) == path

    def is_bundle_index(self, path: Path) -> bool:
        return path.parent in self.bundles and _stem(path) == "index"

    def parent_key(self, path: Path) -> str | None:
        """Key of the section a content file belongs to (the root's, implicit or not)."""
        folder = path.parent
        if self.is_section_index(path) or self.is_bundle_index(path):
            if folder == self.root:
                return None
            folder = folder.parent
        while folder != self.root and folder not in self.section_index:
            if folder in self.implicit:
                return self.implicit[folder]
            folder = folder.parent
        index = self.section_index.get(folder)
        return self.key(index) if index else f"{self.root_name}/"

    def tree_order(self, path: Path) -> tuple[int, int, str]:
        """Sections before their contents, then by path, so parents are planned first."""
        rel = path.relative_to(self.root)
        is_section = self.is_section_index(path)
        return (len(rel.parts) - (1 if is_section else 0), 0 if is_section else 1, rel.as_posix())


def content_finder(rel_paths: list[str]) -> Callable[[str, str], str | None]:
    """A lookup for the content file a ``ref``/``link``/``include`` names.

    ``find(name, from_rel)`` tries ``name`` from the root (a leading ``/``),
    then relative to ``from_rel``'s folder, each as given, with a content
    extension, or as a folder's ``_index``/``index``; then the one file whose
    path ends with ``name`` (Hugo's lookup by logical name); a folder of
    content without an index file is returned as ``"folder/"``. ``None`` if
    none or several match.
    """
    known = set(rel_paths)
    folders = {str(parent) for rel in rel_paths for parent in PurePosixPath(rel).parents} - {"."}
    by_name: dict[str, list[str]] = {}
    for rel in rel_paths:
        stem = rel.rsplit(".", 1)[0]
        by_name.setdefault(stem.rsplit("/", 1)[-1], []).append(rel)
        if stem.endswith(("/_index", "/index")):
            folder = stem.rsplit("/", 1)[0]
            by_name.setdefault(folder.rsplit("/", 1)[-1], []).append(rel)

    def candidates(path: str) -> list[str]:
        path = path.strip("/")
        found = [path] + [path + ext for ext in CONTENT_EXTENSIONS]
        for index in ("_index", "index"):
            found += [f"{path}/{index}{ext}".lstrip("/") for ext in CONTENT_EXTENSIONS]
        return found

    def find(name: str, from_rel: str) -> str | None:
        name = unquote(name.strip()).split("#", 1)[0].split("?", 1)[0]
        if not name:
            return None
        bases = [""] if name.startswith("/") else [posixpath.dirname(from_rel), ""]
        for base in bases:
            path = posixpath.normpath(posixpath.join(base, name.lstrip("/")))
            for candidate in candidates(path):
                if candidate in known:
                    return candidate
            if path.strip("/") in folders:  # a folder without an index: a Hugo section
                return path.strip("/") + "/"
        stem = name.strip("/")
        for ext in CONTENT_EXTENSIONS:
            stem = stem.removesuffix(ext)
        last = stem.rsplit("/", 1)[-1]
        matches = {
            rel
            for rel in by_name.get(last, [])
            if ("/" + rel.rsplit(".", 1)[0]).endswith("/" + stem)
            or posixpath.dirname("/" + rel).endswith("/" + stem)
        }
        return matches.pop() if len(matches) == 1 else None

    return find


def _without_headless(pages: list[PlannedPage]) -> tuple[list[PlannedPage], list[FileOutcome]]:
    """Drop untitled headless content (Hugo ``build.render: never``): snippets pages include.

    Headless files with a title (a glossary's terms...) are content a reader
    should find, so they stay pages; the section that made them headless too.
    """
    folders = [p.base_dir for p in pages if p.doc.headless and p.kind == SECTION]
    kept, dropped = [], []
    for page in pages:
        headless = page.doc.headless or any(page.base_dir.is_relative_to(f) for f in folders)
        if headless and not page.doc.title:
            reason = "headless content (not rendered by the old site; included by other pages)"
            dropped.append(FileOutcome(page.rel_path, RESOURCE, reason))
        else:
            kept.append(page)
    return kept, dropped


def _implicit_root(
    root: Path, root_name: str, slug: str | None, site_title: object = None
) -> PlannedPage:
    """The section of a root without an index file, titled after the site (else the folder)."""
    doc = Document(rel_path="", body="")
    title = site_title.strip() if isinstance(site_title, str) and site_title.strip() else ""
    return PlannedPage(
        key=f"{root_name}/",
        rel_path="",
        kind=SECTION,
        parent_key=None,
        slug=slug or make_slug(root_name),
        title=(title or title_from_name(root_name))[:255],
        doc=doc,
        tokens=[],
        base_dir=root,
        implicit=True,
    )


def _implicit_section(folder: Path, key: str, parent_key: str, config: SiteConfig) -> PlannedPage:
    """A Hugo top-level folder without ``_index.md``: still a section, at ``/<folder>/``."""
    rel = f"{folder.name}/"
    doc = Document(rel_path=rel, body="")
    facts = PageFacts(rel + "_index.md", doc, True, False, make_slug(folder.name))
    return PlannedPage(
        key=key,
        rel_path=rel,
        kind=SECTION,
        parent_key=parent_key,
        slug=make_slug(folder.name),
        title=title_from_name(folder.name),
        doc=doc,
        tokens=[],
        base_dir=folder,
        implicit=True,
        source_url=source_url(config, facts),
    )


def _other_files(
    other: list[Path], pages: list[PlannedPage], root: Path, bundles: set[Path]
) -> list[FileOutcome]:
    """The fate of every non-content file: a page's resource, or skipped with a reason."""
    owner: dict[Path, str] = {}
    for page in pages:
        for path in [*page.images, *page.files]:
            owner.setdefault(path, page.rel_path)
    bundle_index = {p.base_dir: p.rel_path for p in pages if p.base_dir in bundles}
    outcomes = []
    for path in other:
        rel = path.relative_to(root).as_posix()
        bundle = next((bundle_index[f] for f in path.parents if f in bundle_index), None)
        if path in owner:
            outcomes.append(FileOutcome(rel, RESOURCE, "referenced by the page", owner[path]))
        elif bundle is not None:
            outcomes.append(FileOutcome(rel, RESOURCE, "page bundle resource", bundle))
        elif path.name in CONFIG_FILES:
            outcomes.append(FileOutcome(rel, SKIPPED, "site configuration (see --config)"))
        elif (why := _template_reason(path.name)) is not None:
            outcomes.append(FileOutcome(rel, SKIPPED, why))
        elif path.suffix.lower() in OTHER_MARKUP:
            markup = OTHER_MARKUP[path.suffix.lower()]
            reason = f"{markup} content: only Markdown is imported (convert it with pandoc first)"
            outcomes.append(FileOutcome(rel, SKIPPED, reason, content=True))
        else:
            outcomes.append(FileOutcome(rel, SKIPPED, "not referenced by any page"))
    return outcomes


def _template_reason(name: str) -> str | None:
    for suffix, why in TEMPLATE_EXTENSIONS.items():
        if name.endswith(suffix):
            return why
    return None


def failed_outcome(error: SourceError) -> FileOutcome:
    """The report line of a content file that did not become a page."""
    return FileOutcome(error.path, FAILED, error.reason, content=True)


def url_key(url: str) -> str:
    """Normalise an old site path for lookups: ``"/2016/09/29/x/"`` -> ``"2016/09/29/x"``."""
    return unquote(urlsplit(url).path).strip("/")


def resolve_local(base_dir: Path, root: Path, url: str) -> Path | None:
    """The file a local ``url`` points to (``/x`` from ``root``), or ``None`` if outside it."""
    path = unquote(urlsplit(url).path)
    if not path:
        return None
    target = (root / path.lstrip("/")) if path.startswith("/") else (base_dir / path)
    target = Path(posixpath.normpath(target.as_posix()))
    return target if target.is_relative_to(root) else None


def strip_base_path(url: str, base_path: str) -> str:
    """``url`` without the old site's sub-path: ``/blog/about/`` -> ``/about/`` for ``/blog``."""
    if base_path and (url == base_path or url.startswith(base_path + "/")):
        return url[len(base_path) :] or "/"
    return url


def locate_local(
    page: PlannedPage,
    root: Path,
    folders: dict[str, Path],
    url: str,
    static_dirs: list[Path] | None = None,
    base_path: str = "",
) -> Path | None:
    """The existing file a local ``url`` in ``page`` names, or ``None``.

    ``base_path`` is the old site's sub-path (``/blog`` for a site at
    ``example.org/blog/``): a site-absolute ``/blog/img/x.png`` is ``/img/x.png``.

    Relative to the source folder first; a site-absolute path (``/img/x.png``)
    also in each of ``static_dirs`` (Hugo's ``static/``, ``--static DIR``);
    else, as a browser would read it, relative to the page's old permalink,
    mapped back to the folder of the page that owned that permalink (Zola
    bundles link to each other that way).
    """
    url = strip_base_path(url, base_path)
    target = resolve_local(page.base_dir, root, url)
    if target is not None and target.is_file():
        return target
    path = unquote(urlsplit(url).path)
    if path.startswith("/"):
        for static in static_dirs or []:
            candidate = Path(posixpath.normpath((static / path.lstrip("/")).as_posix()))
            if candidate.is_relative_to(static) and candidate.is_file():
                return candidate
    if not page.doc.path or path.startswith("/"):
        old = url_key(path)
    else:
        old = posixpath.normpath(posixpath.join("/" + url_key(page.doc.path), path)).strip("/")
    folder_key, _, name = old.rpartition("/")
    folder = folders.get(folder_key)
    if folder is not None and name and (folder / name).is_file():
        return folder / name
    return None


def _plan_page(
    path: Path,
    rel: str,
    layout: _Layout,
    root_slug: str | None,
    config: SiteConfig,
    context: TemplateContext,
) -> PlannedPage:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(rel, f"cannot read the file: {exc}") from exc
    defaults = (
        config.front_matter_defaults(rel)
        if config.family == "jekyll"
        else _directory_data(layout.root, path)
        if config.family == "eleventy"
        else {}
    )
    doc = parse_document(
        text, rel, split_terms=config.family in ("jekyll", "markdown"), defaults=defaults
    )
    # a Jekyll _posts (or _drafts) folder imported on its own is still one
    logical = f"{layout.root.name}/{rel}" if layout.root.name in ("_posts", "_drafts") else rel
    folders = PurePosixPath(logical).parent.parts
    notes: list[str] = []
    if "_drafts" in folders:
        doc.draft = True
    if config.authors:  # author: ada, a key of the site's authors data file
        doc.authors = list(dict.fromkeys(config.authors.get(a, a) for a in doc.authors))
    raw_date = doc.params.get("date")
    if config.family == "jekyll" and isinstance(raw_date, str):
        doc.date = _jekyll_local_date(raw_date, config.site.get("timezone")) or doc.date
    if doc.date is None and isinstance(raw_date, str) and raw_date.strip():
        doc.date = dt.date.fromtimestamp(path.stat().st_mtime)  # Eleventy's "Last Modified"...
    if doc.params.get("permalink") is False:  # Eleventy: the old site wrote no page for it
        doc.draft = True
        notes.append(f"{rel}: permalink: false (no page on the old site): imported as a draft")
    collection = folders[0][1:] if folders and folders[0].startswith("_") else ""
    if collection in config.collections and not config.collections[collection].get("output"):
        doc.draft = True  # Jekyll: a collection without output: true has no pages
        notes.append(f"{rel}: the collection {collection} is not output: imported as a draft")
    publish = doc.params.get("publishDate") or doc.params.get("publishdate")
    shown_from = _plain_date(publish) or doc.date
    future = shown_from is not None and shown_from > dt.date.today()
    if future and config.family in ("hugo", "jekyll") and not doc.draft:
        doc.draft = True  # buildFuture / future: false: the old site did not show it yet
        notes.append(f"{rel}: dated in the future ({shown_from}): imported as a draft")
    if doc.expired:
        notes.append(f"{rel}: expiryDate has passed (no page on the old site): imported as a draft")
    for taxonomy in config.taxonomies:  # Hugo's own taxonomies, beyond tags and categories
        terms = doc.params.get(taxonomy)
        if taxonomy not in ("authors", "tags", "categories") and isinstance(terms, list):
            doc.tags = list(dict.fromkeys([*doc.tags, *(str(t) for t in terms if t)]))
    if "_posts" in folders:  # Jekyll: the folders above _posts are the post's categories
        above = list(folders[: folders.index("_posts")])
        doc.categories = list(dict.fromkeys([*above, *doc.categories]))
        doc.tags = list(dict.fromkeys([*doc.tags, *above]))
    folder = path.parent
    if layout.is_section_index(path):
        kind = SECTION
        name = folder.name
        slug_source = (root_slug if folder == layout.root else None) or doc.slug or name
        if folder == layout.root and not doc.title and isinstance(config.site.get("title"), str):
            doc.title = config.site["title"]  # the home page of a Jekyll/Eleventy site
    else:
        kind = ARTICLE if doc.date else STANDARD
        name = folder.name if layout.is_bundle_index(path) else _stem(path)
        name = _NAME_DATE.sub("", name) or name
        if config.default_language:  # about.en.md in a multilingual Hugo site is "about"
            name = name.removesuffix(f".{config.default_language}") or name
        permalink_name = PurePosixPath(doc.path.strip("/")).name if doc.path else ""
        slug_source = doc.slug or permalink_name.removesuffix(".html") or name
    context.page = doc.params
    context.first_line = doc.body_line
    converted = convert_templates(doc.body, context)
    media = doc.params.get("media_subpath") or doc.params.get("img_path")
    cover = cover_image(doc.params)
    if isinstance(media, str) and media.strip():  # Jekyll Chirpy: where relative images live
        converted.body = _with_media_path(converted.body, media.strip())
        if cover and not re.match(r"[a-z][\w+.-]*:|/", cover, re.I):
            cover = media.strip().rstrip("/") + "/" + cover
    if path.suffix.lower() in (".html", ".htm"):  # a Jekyll post in HTML: one raw HTML block
        tokens = [Token("html_block", "", 0, content=converted.body.strip() + "\n", block=True)]
    else:
        tokens = parse_markdown(converted.body, config.definition_lists)
    first_h1 = bool(tokens) and tokens[0].type == "heading_open" and tokens[0].tag == "h1"
    if not doc.title and kind != SECTION and first_h1 and tokens[1].content.strip():
        doc.title = tokens[1].content.strip()  # as jekyll-titles-from-headings does
    facts = PageFacts(
        logical, doc, kind == SECTION, layout.is_bundle_index(path), make_slug(slug_source)
    )
    return PlannedPage(
        key=layout.key(path),
        rel_path=rel,
        kind=kind,
        parent_key=layout.parent_key(path),
        slug=make_slug(slug_source),
        title=(doc.title or title_from_name(name))[:255],
        doc=doc,
        tokens=tokens,
        base_dir=folder,
        source_url=source_url(config, facts),
        warnings=notes + converted.warnings,
        cover=cover,
    )


def _collect_local_files(
    page: PlannedPage,
    root: Path,
    folders: dict[str, Path],
    static_dirs: list[Path],
    base_path: str = "",
) -> None:
    """Find the local files ``page`` uses; a missing image is noted, never fatal."""
    images, links = referenced_urls(page.tokens)
    if page.cover and page.kind == ARTICLE and is_local_url(page.cover):
        hero = locate_local(page, root, folders, page.cover, static_dirs, base_path)
        if hero is not None and hero.suffix.lower() in IMAGE_EXTENSIONS:
            page.hero = hero
            if hero not in page.images:
                page.images.append(hero)
        else:
            page.warnings.append(f"{page.rel_path}: cover image not found: {page.cover}")
    for src in images:
        if not is_local_url(src):
            continue
        target = locate_local(page, root, folders, src, static_dirs, base_path)
        if target is None or target.suffix.lower() not in IMAGE_EXTENSIONS:
            if src not in page.missing_images:
                page.missing_images.append(src)
            continue
        if target not in page.images:
            page.images.append(target)
    for href in links:
        if not is_local_url(href) or href.startswith("@/"):
            continue
        target = locate_local(page, root, folders, href, static_dirs, base_path)
        if (
            target
            and not target.name.endswith(CONTENT_EXTENSIONS)
            and target.is_file()
            and target not in page.files
        ):
            page.files.append(target)


def _by_weight(pages: list[PlannedPage]) -> list[PlannedPage]:
    """Siblings with a ``weight`` first, lightest first; parents still precede children."""
    position = {page.key: i for i, page in enumerate(pages)}
    depth: dict[str, int] = {}
    for page in pages:  # parents come first, so their depth is known
        depth[page.key] = depth.get(page.parent_key, -1) + 1 if page.parent_key else 0

    def key(page: PlannedPage) -> tuple[int, float, int]:
        weight = page.doc.weight if page.doc.weight is not None else float("inf")
        return (depth[page.key], weight, position[page.key])

    return sorted(pages, key=key)


def _dedupe_slugs(pages: list[PlannedPage]) -> None:
    taken: dict[str | None, set[str]] = {}
    for page in sorted(pages, key=lambda p: p.rel_path):
        siblings = taken.setdefault(page.parent_key, set())
        page.slug = dedupe(page.slug, siblings)
        siblings.add(page.slug)


def _digest(page: PlannedPage) -> str:
    """SHA-256 of the source, its local files, and where the page goes in the tree."""
    hasher = hashlib.sha256()
    hasher.update(f"{page.kind}\0{page.parent_key}\0{page.slug}\0".encode())
    hasher.update(page.doc.body.encode())
    hasher.update(repr(page.doc).encode())
    hasher.update(repr(page.missing_images).encode())
    for path in [*page.images, *page.files]:
        hasher.update(path.name.encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def _unique_by_case(permalinks: dict[str, str]) -> dict[str, str]:
    """``permalinks`` keyed by case-folded URL, leaving out URLs that differ only in case."""
    pages_by_folded: dict[str, set[str]] = {}
    for url, key in permalinks.items():
        pages_by_folded.setdefault(url.casefold(), set()).add(key)
    return {url: next(iter(keys)) for url, keys in pages_by_folded.items() if len(keys) == 1}


def _permalinks(pages: list[PlannedPage]) -> dict[str, str]:
    links: dict[str, str] = {}
    for page in pages:
        for url in page.old_urls():
            links.setdefault(url_key(url), page.key)
    return links
