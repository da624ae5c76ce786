"""Plan an import: read every Markdown file under a folder and lay out the page tree.

Pure apart from reading files: no database access. ``plan_import(root, slug)``
returns an :class:`ImportPlan` whose ``pages`` come parents first, and whose
``failures`` hold a :class:`SourceError` for each file that cannot be imported
(unreadable, bad front matter, invalid date, a missing local image or a failed
parent section).

Layout (Zola/Hugo conventions):

- ``_index.md`` in a folder -> a section for that folder; the root's own
  ``_index.md`` takes ``slug`` (``--slug``), else front matter ``slug``, else
  the folder name.
- ``index.md`` in a folder without ``_index.md`` -> a page bundle: the folder
  is one page; every other file in it is an asset of that page.
- any other ``.md`` -> a page in the nearest enclosing section (``parent_key``
  ``None`` means the import's parent page).
- a page with a date is an article, without one a standard page.

Sibling slugs are made unique in sorted source-path order: ``x``, ``x-2``...
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from .errors import SourceError
from .frontmatter import _NAME_DATE, Document, parse_document
from .markdown import is_local_url, parse_markdown, referenced_urls
from .slugs import dedupe, make_slug, title_from_name

SECTION, ARTICLE, STANDARD = "section", "article", "standard"
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"}


@dataclass
class PlannedPage:
    """One page to create or update.

    ``key`` is the ImportSource key ``"<root name>/<rel path>"``; ``base_dir``
    is the folder relative links resolve against; ``images`` and ``files``
    are the existing local files the Markdown references (images by image
    syntax or ``<img>``, other files by links: future Wagtail documents).
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
    digest: str = ""

    def old_urls(self) -> list[str]:
        """Where the page lived on the old site: its ``path`` (a section's folder), aliases."""
        permalink = self.doc.path
        if permalink is None and self.kind == SECTION:
            permalink = self.rel_path.removesuffix("_index.md").strip("/")
        return [url for url in [permalink or "", *self.doc.aliases] if url_key(url)]


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

    def by_key(self) -> dict[str, PlannedPage]:
        return {p.key: p for p in self.pages}


def plan_import(root: Path, slug: str | None = None) -> ImportPlan:
    """Read and lay out every ``.md`` under ``root`` (see the module docstring)."""
    root = root.resolve()
    root_name = root.name
    sections = {p.parent for p in root.rglob("_index.md")}
    bundles = {p.parent for p in root.rglob("index.md")} - sections
    failures: list[SourceError] = []
    pages: list[PlannedPage] = []
    failed_keys: set[str] = set()
    for path in sorted(root.rglob("*.md"), key=_tree_order(root)):
        if _inside_bundle(path, bundles) and path.name != "index.md":
            continue
        rel = path.relative_to(root).as_posix()
        key = f"{root_name}/{rel}"
        folder = path.parent
        parent_dir = folder.parent if path.name == "_index.md" else folder
        if path.name == "index.md" and folder in bundles:
            parent_dir = folder.parent
        parent_key = _section_key(parent_dir, root, root_name, sections, path)
        try:
            pages.append(_plan_page(path, rel, key, parent_key, root, slug, sections, bundles))
        except SourceError as exc:
            failures.append(exc)
            failed_keys.add(key)
    folders = {url_key(p.doc.path): p.base_dir for p in pages if p.doc.path}
    planned: list[PlannedPage] = []
    for page in pages:
        try:
            if page.parent_key in failed_keys:
                raise SourceError(page.rel_path, f"its section {page.parent_key} failed")
            _collect_local_files(page, root, folders)
            planned.append(page)
        except SourceError as exc:
            failures.append(exc)
            failed_keys.add(page.key)
    pages = _by_weight(planned)
    _dedupe_slugs(pages)
    for page in pages:
        page.digest = _digest(page)
    return ImportPlan(root, root_name, pages, failures, _permalinks(pages), folders)


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


def locate_local(page: PlannedPage, root: Path, folders: dict[str, Path], url: str) -> Path | None:
    """The existing file a local ``url`` in ``page`` names, or ``None``.

    Relative to the source folder first; else, as a browser would read it,
    relative to the page's old permalink, mapped back to the folder of the
    page that owned that permalink (Zola bundles link to each other that way).
    """
    target = resolve_local(page.base_dir, root, url)
    if target is not None and target.is_file():
        return target
    path = unquote(urlsplit(url).path)
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
    key: str,
    parent_key: str | None,
    root: Path,
    root_slug: str | None,
    sections: set[Path],
    bundles: set[Path],
) -> PlannedPage:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(rel, f"cannot read the file: {exc}") from exc
    doc = parse_document(text, rel)
    folder = path.parent
    if path.name == "_index.md":
        kind = SECTION
        name = folder.name
        slug_source = (root_slug if folder == root else None) or doc.slug or name
    else:
        kind = ARTICLE if doc.date else STANDARD
        name = folder.name if folder in bundles and path.name == "index.md" else path.stem
        name = _NAME_DATE.sub("", name) or name
        permalink_name = PurePosixPath(doc.path.strip("/")).name if doc.path else ""
        slug_source = doc.slug or permalink_name.removesuffix(".html") or name
    tokens = parse_markdown(doc.body)
    return PlannedPage(
        key=key,
        rel_path=rel,
        kind=kind,
        parent_key=parent_key,
        slug=make_slug(slug_source),
        title=(doc.title or title_from_name(name))[:255],
        doc=doc,
        tokens=tokens,
        base_dir=folder,
    )


def _collect_local_files(page: PlannedPage, root: Path, folders: dict[str, Path]) -> None:
    images, links = referenced_urls(page.tokens)
    for src in images:
        if not is_local_url(src):
            continue
        target = locate_local(page, root, folders, src)
        if target is None:
            raise SourceError(page.rel_path, f"image not found: {unquote(src)}")
        if target.suffix.lower() not in IMAGE_EXTENSIONS:
            raise SourceError(page.rel_path, f"not an image file: {unquote(src)}")
        if target not in page.images:
            page.images.append(target)
    for href in links:
        if not is_local_url(href) or href.startswith("@/"):
            continue
        target = locate_local(page, root, folders, href)
        if target and target.suffix != ".md" and target.is_file() and target not in page.files:
            page.files.append(target)


def _section_key(
    folder: Path, root: Path, root_name: str, sections: set[Path], path: Path
) -> str | None:
    """Key of the nearest section at or above ``folder`` (never the file's own)."""
    while folder.is_relative_to(root):
        index = folder / "_index.md"
        if folder in sections and index != path:
            return f"{root_name}/{index.relative_to(root).as_posix()}"
        if folder == root:
            break
        folder = folder.parent
    return None


def _inside_bundle(path: Path, bundles: set[Path]) -> bool:
    return any(parent in bundles for parent in path.parents)


def _tree_order(root: Path):
    """Sections before their contents, then by path, so parents are planned first."""

    def key(path: Path) -> tuple[int, int, str]:
        rel = path.relative_to(root)
        is_section = path.name == "_index.md"
        return (len(rel.parts) - (1 if is_section else 0), 0 if is_section else 1, rel.as_posix())

    return key


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
