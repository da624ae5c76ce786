"""Plan an import: walk a content folder, account for every file, lay out the page tree.

Pure apart from reading files: no database access. ``plan_import(root, options)``
returns an :class:`ImportPlan` whose ``pages`` come parents first, whose
``failures`` hold a :class:`SourceError` for each content file that cannot be
imported (unreadable, bad front matter, invalid date, a failed parent section),
and whose ``files`` say what happens to every other file under ``root``.

Layout (the conventions Hugo, Zola, Jekyll and Eleventy share):

- content files are ``.md``, ``.markdown`` and ``.mdx``; ``_index.*`` names a
  section (Hugo's branch bundle) for its folder.
- ``index.*`` in a folder without ``_index.*`` is that folder's section index
  when the folder holds other content (at any depth) or is the root (the home
  page of Jekyll and Eleventy sites); otherwise the folder is a page bundle
  (Hugo's leaf bundle): one page, every other file in it that page's resource.
- the root always has a section: its index file, or an implicit one (titled
  after the folder) that the importer merges into ``--parent`` when that page
  is a section already.
- any other content file is a page in the nearest enclosing section; folders
  without an index (``_posts``, ``_drafts``, category folders) add no level.
- a page with a date is an article, without one a standard page.
- folders of site machinery (hidden ones, ``node_modules``, Jekyll's
  ``_layouts``, ``_includes``, ``_data``, ``_sass``, ``_site``...) are skipped
  with a reason, as are configuration files and files no page references.

Sibling slugs are made unique in sorted source-path order: ``x``, ``x-2``...
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from .errors import SourceError
from .families import PageFacts, SiteConfig, source_url
from .frontmatter import _NAME_DATE, Document, parse_document
from .markdown import is_local_url, parse_markdown, referenced_urls
from .report import FAILED, RESOURCE, SKIPPED, FileOutcome
from .slugs import dedupe, make_slug, title_from_name
from .templates import TemplateContext, convert_templates

SECTION, ARTICLE, STANDARD = "section", "article", "standard"
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"}
CONTENT_EXTENSIONS = (".md", ".markdown", ".mdx")
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
TEMPLATE_EXTENSIONS = {
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

    def by_key(self) -> dict[str, PlannedPage]:
        return {p.key: p for p in self.pages}


@dataclass
class SourceTree:
    """The files under a root, sorted: content files, other files, skipped folders."""

    content: list[Path]
    other: list[Path]
    skipped: list[FileOutcome]


def walk_source(root: Path) -> SourceTree:
    """Every file under ``root``; machinery folders are one ``skipped`` entry each."""
    content: list[Path] = []
    other: list[Path] = []
    skipped: list[FileOutcome] = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        for name in sorted(dirs):
            why = "hidden folder" if name.startswith(".") else MACHINERY_DIRS.get(name)
            if why:
                dirs.remove(name)
                count = sum(len(f) for _, _, f in os.walk(here / name))
                rel = (here / name).relative_to(root).as_posix()
                skipped.append(FileOutcome(f"{rel}/", SKIPPED, f"{why} ({count} files)"))
        dirs.sort()
        for name in sorted(names):
            path = here / name
            if name.lower().endswith(CONTENT_EXTENSIONS):
                content.append(path)
            else:
                other.append(path)
    return SourceTree(content, other, skipped)


def _stem(path: Path) -> str:
    return path.name.rsplit(".", 1)[0]


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
    tree = walk_source(root)
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
    layout = _Layout(root, root_name, section_index, bundles)
    finder = content_finder([p.relative_to(root).as_posix() for p in tree.content])
    includes = [d for d in (root / "_includes", root.parent / "_includes") if d.is_dir()]
    failures: list[SourceError] = []
    pages: list[PlannedPage] = []
    failed_keys: set[str] = set()
    files: list[FileOutcome] = list(tree.skipped)
    for path in sorted(tree.content, key=layout.tree_order):
        rel = path.relative_to(root).as_posix()
        if section_index.get(path.parent) not in (None, path) and _stem(path) in (
            "_index",
            "index",
        ):
            failures.append(SourceError(rel, f"{path.parent.name}/ has another index file"))
            continue
        try:
            context = TemplateContext(rel, root, includes, config.site, find_content=finder)
            pages.append(_plan_page(path, rel, layout, slug, config, context))
        except SourceError as exc:
            failures.append(exc)
            failed_keys.add(f"{root_name}/{rel}")
    pages, headless = _without_headless(pages)
    files += headless
    if root not in section_index:
        pages.insert(0, _implicit_root(root, root_name, slug))
    folders = {url_key(p.doc.path): p.base_dir for p in pages if p.doc.path}
    static = [d.resolve() for d in static_dirs or []]
    planned: list[PlannedPage] = []
    for page in pages:
        try:
            if page.parent_key in failed_keys:
                raise SourceError(page.rel_path, f"its section {page.parent_key} failed")
            _collect_local_files(page, root, folders, static)
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
    path ends with ``name`` (Hugo's lookup by logical name). ``None`` if none
    or several match.
    """
    known = set(rel_paths)
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


def _implicit_root(root: Path, root_name: str, slug: str | None) -> PlannedPage:
    doc = Document(rel_path="", body="")
    return PlannedPage(
        key=f"{root_name}/",
        rel_path="",
        kind=SECTION,
        parent_key=None,
        slug=slug or make_slug(root_name),
        title=title_from_name(root_name),
        doc=doc,
        tokens=[],
        base_dir=root,
        implicit=True,
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


def locate_local(
    page: PlannedPage,
    root: Path,
    folders: dict[str, Path],
    url: str,
    static_dirs: list[Path] | None = None,
) -> Path | None:
    """The existing file a local ``url`` in ``page`` names, or ``None``.

    Relative to the source folder first; a site-absolute path (``/img/x.png``)
    also in each of ``static_dirs`` (Hugo's ``static/``, ``--static DIR``);
    else, as a browser would read it, relative to the page's old permalink,
    mapped back to the folder of the page that owned that permalink (Zola
    bundles link to each other that way).
    """
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
    doc = parse_document(text, rel)
    folders = PurePosixPath(rel).parent.parts
    if "_drafts" in folders:
        doc.draft = True
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
    else:
        kind = ARTICLE if doc.date else STANDARD
        name = folder.name if layout.is_bundle_index(path) else _stem(path)
        name = _NAME_DATE.sub("", name) or name
        permalink_name = PurePosixPath(doc.path.strip("/")).name if doc.path else ""
        slug_source = doc.slug or permalink_name.removesuffix(".html") or name
    context.page = doc.params
    context.first_line = doc.body_line
    converted = convert_templates(doc.body, context)
    tokens = parse_markdown(converted.body)
    facts = PageFacts(
        rel, doc, kind == SECTION, layout.is_bundle_index(path), make_slug(slug_source)
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
        warnings=converted.warnings,
    )


def _collect_local_files(
    page: PlannedPage, root: Path, folders: dict[str, Path], static_dirs: list[Path]
) -> None:
    """Find the local files ``page`` uses; a missing image is noted, never fatal."""
    images, links = referenced_urls(page.tokens)
    for src in images:
        if not is_local_url(src):
            continue
        target = locate_local(page, root, folders, src, static_dirs)
        if target is None or target.suffix.lower() not in IMAGE_EXTENSIONS:
            if src not in page.missing_images:
                page.missing_images.append(src)
            continue
        if target not in page.images:
            page.images.append(target)
    for href in links:
        if not is_local_url(href) or href.startswith("@/"):
            continue
        target = locate_local(page, root, folders, href, static_dirs)
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


def _permalinks(pages: list[PlannedPage]) -> dict[str, str]:
    links: dict[str, str] = {}
    for page in pages:
        for url in page.old_urls():
            links.setdefault(url_key(url), page.key)
    return links
