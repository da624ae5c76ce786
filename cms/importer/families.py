"""Site families (Hugo, Jekyll, Zola, Eleventy, plain Markdown): detection, config, old URLs.

Pure: reads configuration files, never the database.

``detect_family(root)`` names the family from the files around the content
folder (``hugo.toml``, ``_config.yml``, ``zola.toml``, ``.eleventy.js``, a
``_posts`` folder...). ``load_config(family, root, path)`` reads the settings
the importer uses into :class:`SiteConfig`: permalink patterns, the site URL
(so absolute links to the old site count as internal) and site variables
(``{{ site.* }}``). ``source_url(...)`` is where a page lived on the old site,
following the family's own rules:

- Hugo (gohugo.io/content-management/urls/): ``url`` front matter; else the
  ``[permalinks]`` pattern of the page's top section (``:year``, ``:month``,
  ``:day``, ``:slug``, ``:title``, ``:filename``, ``:section``,
  ``:sections``...); else ``/<folders>/<slug or file name>/``, lower case.
- Jekyll (jekyllrb.com/docs/permalinks/): ``permalink`` front matter; posts
  follow the config's ``permalink`` (default ``date``:
  ``/:categories/:year/:month/:day/:title.html``; ``pretty``, ``ordinal``,
  ``none`` and custom patterns too); pages are ``/<path>.html``, an
  ``index`` file its folder.
- Zola (getzola.org/documentation/content/page/): ``path`` front matter;
  else ``/<sections>/<slug>/``.
- Eleventy (11ty.dev/docs/permalinks/): ``permalink`` front matter; else
  ``/<folders>/<file name>/`` (an ``index`` file: its folder).
- plain Markdown: the folder layout, like Eleventy.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import TargetError
from .frontmatter import Document

FAMILIES = ("hugo", "jekyll", "zola", "eleventy", "markdown")
HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml")
JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_TOKEN = re.compile(r":([a-z_]+)")


@dataclass
class SiteConfig:
    """What the importer needs from a site's configuration."""

    family: str = "markdown"
    permalinks: dict[str, str] = field(default_factory=dict)
    """Hugo: top section (or ``page``/``posts``) -> pattern; Jekyll: ``"posts"`` -> pattern."""
    base_url: str = ""
    """The old site's address (``https://example.org/``); links to it are internal."""
    site: dict[str, Any] = field(default_factory=dict)
    """Site variables for ``{{ site.* }}`` (Jekyll's whole config, Hugo's ``params`` too)."""
    source: Path | None = None
    taxonomies: list[str] = field(default_factory=list)
    """Front matter keys (Hugo's ``[taxonomies]`` plurals) whose lists become tags too."""

    def is_own_url(self, url: str) -> bool:
        """True when ``url`` is absolute and points at the old site itself."""
        if not self.base_url:
            return False
        own, other = urlsplit(self.base_url), urlsplit(url)
        return bool(other.netloc) and other.netloc.lower() == own.netloc.lower()


def detect_family(root: Path) -> str:
    """The family of the site whose content folder is ``root``; ``"markdown"`` if unsure."""
    for folder in (root, root.parent):
        names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        if names & {"hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json"}:
            return "hugo"
        if names & {"zola.toml"}:
            return "zola"
        if names & {".eleventy.js", "eleventy.config.js", "eleventy.config.mjs"}:
            return "eleventy"
        if names & {"_config.yml", "_config.yaml", "_posts"}:
            return "jekyll"
        if "config.toml" in names:
            text = (folder / "config.toml").read_text(encoding="utf-8", errors="replace")
            return "zola" if re.search(r"^base_url\s*=", text, re.M) else "hugo"
    return "markdown"


def find_config(family: str, root: Path) -> Path | None:
    """The configuration file of ``family`` in ``root`` or its parent, if any."""
    names = {
        "hugo": HUGO_CONFIGS,
        "jekyll": ("_config.yml", "_config.yaml"),
        "zola": ("zola.toml", "config.toml"),
        "eleventy": ("eleventy.config.js", ".eleventy.js", "eleventy.config.mjs"),
    }.get(family, ())
    for folder in (root, root.parent):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


def load_config(family: str, root: Path, path: Path | None = None) -> SiteConfig:
    """Read ``path`` (or the family's config found beside ``root``) into a SiteConfig.

    Raises :class:`TargetError` for an unreadable or invalid configuration file.
    Eleventy's JavaScript config is not executed: only ``_data/site.json`` or
    ``_data/metadata.json`` beside it give site variables.
    """
    if family not in FAMILIES:
        raise TargetError(f"unknown --format {family!r}; one of {', '.join(FAMILIES)}")
    path = path or find_config(family, root)
    config = SiteConfig(family=family, source=path)
    if family == "jekyll":
        config.permalinks["posts"] = JEKYLL_STYLES["date"]
    if path is None:
        return config
    data = _read_data(path) if path.suffix in (".toml", ".yml", ".yaml", ".json") else {}
    if family == "eleventy":
        for name in ("site.json", "metadata.json"):
            for folder in (path.parent / "_data", path.parent / "src" / "_data"):
                if (folder / name).is_file():
                    data = {**_read_data(folder / name), **data}
        config.site = data
        config.base_url = str(data.get("url") or data.get("baseURL") or "")
        return config
    if family == "hugo":
        permalinks = data.get("permalinks") or {}
        for key, value in permalinks.items():
            if isinstance(value, dict):  # Hugo >= 0.120: [permalinks.page] section = pattern
                if key in ("page", "section"):
                    for section, pattern in value.items():
                        config.permalinks.setdefault(section, str(pattern))
            else:
                config.permalinks[key] = str(value)
        config.base_url = str(data.get("baseURL") or data.get("baseurl") or "")
        taxonomies = data.get("taxonomies") or {}
        if isinstance(taxonomies, dict):
            config.taxonomies = [str(v) for v in taxonomies.values() if isinstance(v, str)]
        config.site = {**data, **(data.get("params") or {}), "params": data.get("params") or {}}
    elif family == "jekyll":
        style = str(data.get("permalink") or "date")
        config.permalinks["posts"] = JEKYLL_STYLES.get(style, style)
        config.base_url = str(data.get("url") or "").rstrip("/") + str(data.get("baseurl") or "")
        config.site = data
    elif family == "zola":
        config.base_url = str(data.get("base_url") or "")
        config.site = {**data, **(data.get("extra") or {})}
    return config


def _read_data(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise TargetError(f"cannot read the configuration {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class PageFacts:
    """What a permalink rule may use about one content file."""

    rel_path: str
    """POSIX path relative to the content root, e.g. ``"posts/2020-01-02-x.md"``."""
    doc: Document
    is_section: bool
    is_bundle: bool
    slug: str
    """The file's own slug (front matter ``slug``, else its name without a date)."""


def source_url(config: SiteConfig, page: PageFacts) -> str | None:
    """The URL path (``/a/b/``) where ``page`` lived on the old site, or ``None`` if unknown."""
    doc = page.doc
    if doc.path:  # Zola's permalink, honoured in any family
        return "/" + doc.path.strip("/") + ("" if doc.path.endswith(".html") else "/")
    if doc.url and config.family in ("hugo", "markdown"):
        return _absolute(doc.url)
    if doc.permalink and config.family in ("jekyll", "eleventy", "markdown"):
        if "{" in doc.permalink:  # a template (Eleventy/Nunjucks): not knowable here
            return None
        if config.family == "jekyll" and ":" in doc.permalink:
            return _expand(doc.permalink, _jekyll_values(page))
        return _absolute(doc.permalink)
    folders = [p for p in PurePosixPath(page.rel_path).parent.parts if p]
    stem = PurePosixPath(page.rel_path).name.rsplit(".", 1)[0]
    if config.family == "jekyll":
        if "_posts" in folders or "_drafts" in folders:
            return _expand(config.permalinks["posts"], _jekyll_values(page))
        if page.is_section or stem == "index":
            return "/" + "/".join(folders) + ("/" if folders else "")
        return "/" + "/".join([*folders, stem]) + ".html"
    if page.is_section:
        path = "/" + "/".join(folders) + ("/" if folders else "")
        return path.lower() if config.family == "hugo" else path
    if page.is_bundle:
        folders, stem = folders[:-1], folders[-1] if folders else stem
    if config.family == "hugo":
        top = folders[0] if folders else ""
        pattern = config.permalinks.get(top) or config.permalinks.get("page")
        if pattern and page.is_section is False:
            return _expand(pattern, _hugo_values(page, folders, stem)).lower()
        name = doc.slug or stem
        return ("/" + "/".join([*folders, name]) + "/").lower()
    name = page.slug if config.family == "zola" else stem
    return "/" + "/".join([*folders, name]) + "/"


def _absolute(url: str) -> str:
    path = urlsplit(url).path
    return "/" + path.lstrip("/") if path else "/"


def _expand(pattern: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    path = _TOKEN.sub(value, pattern)
    path = re.sub(r"/{2,}", "/", path)
    return "/" + path.lstrip("/")


def _date_values(date: dt.date | None) -> dict[str, str]:
    if date is None:
        return {}
    return {
        "year": f"{date.year:04d}",
        "month": f"{date.month:02d}",
        "day": f"{date.day:02d}",
        "i_month": str(date.month),
        "i_day": str(date.day),
        "short_year": f"{date.year % 100:02d}",
        "y_day": f"{date.timetuple().tm_yday:03d}",
        "week": f"{date.isocalendar()[1]:02d}",
        "short_day": date.strftime("%a"),
    }


def _jekyll_values(page: PageFacts) -> dict[str, str]:
    """Jekyll's permalink placeholders (categories lower-cased, as Jekyll's URL filter does)."""
    name = PurePosixPath(page.rel_path).name.rsplit(".", 1)[0]
    title = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", name)
    categories = "/".join(c.lower().replace(" ", "-") for c in page.doc.categories)
    return {
        **_date_values(page.doc.date),
        "title": page.doc.slug or title,
        "slug": page.doc.slug or title,
        "name": title,
        "categories": categories,
        "output_ext": ".html",
    }


def _hugo_values(page: PageFacts, folders: list[str], stem: str) -> dict[str, str]:
    title = page.doc.title or stem
    return {
        **_date_values(page.doc.date),
        "slug": page.doc.slug or re.sub(r"[^\w]+", "-", title).strip("-").lower(),
        "title": re.sub(r"[^\w]+", "-", title).strip("-").lower(),
        "filename": stem,
        "contentbasename": stem,
        "section": folders[0] if folders else "",
        "sections": "/".join(folders),
        "slugorfilename": page.doc.slug or stem,
        "slugorcontentbasename": page.doc.slug or stem,
    }
