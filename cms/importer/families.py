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
import fnmatch
import json
import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

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
    site_root: Path | None = None
    """The folder holding the site's configuration (the site's root), if one was found."""
    content_dir: str = ""
    """Where the site keeps its content, relative to ``site_root`` (Hugo's ``contentDir``,
    Zola's ``content``, Eleventy's ``dir.input``); ``""`` when it is the site root itself."""
    exclude: list[str] = field(default_factory=list)
    """Jekyll's ``exclude`` (and its defaults): paths or globs that are not part of the site."""
    translations: dict[str, str] = field(default_factory=dict)
    """Hugo: each language other than ``defaultContentLanguage`` -> its ``contentDir`` (or ``""``).
    One language is imported: files of the others are reported as skipped."""
    default_language: str = ""
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Jekyll's ``collections``: name -> its settings (``output``, ``permalink``)."""
    authors: dict[str, str] = field(default_factory=dict)
    """Author keys -> display names, from the site's data file (Jekyll ``_data/authors.yml``,
    Hugo ``data/authors.*``), so ``author: ada`` is "Ada Lovelace"."""
    defaults: list[dict[str, Any]] = field(default_factory=list)
    """Jekyll's front matter ``defaults``: ``[{scope: {path, type}, values}]``."""
    heading_ids: str = ""
    """How the old site's renderer made heading ids: one of :data:`anchors.STYLES`, or ``""``
    when it made none (the CMS then gives the slug of the text)."""
    heading_id_prefix: str = ""
    """Put before each generated heading id (kramdown's ``auto_id_prefix``)."""
    definition_lists: bool = False
    """Whether the renderer reads ``Term`` then ``: Definition`` as a definition list."""
    definition_term_ids: bool = False
    """Whether definition terms get ids as headings do (Hugo's ``autoDefinitionTermID``)."""

    def front_matter_defaults(self, rel_path: str) -> dict[str, Any]:
        """The values Jekyll's ``defaults`` give the file at ``rel_path`` (later, deeper win).

        jekyllrb.com/docs/configuration/front-matter-defaults/: a scope's
        ``path`` is a prefix (or glob) of the file's path, its ``type``
        ``posts`` (drafts too), ``pages``, ``drafts`` or a collection's name.
        """
        parts = PurePosixPath(rel_path).parts
        if "_posts" in parts or "_drafts" in parts:
            kinds = {"posts", "drafts"} if "_drafts" in parts else {"posts"}
        elif parts and parts[0].startswith("_") and parts[0][1:] in self.collections:
            kinds = {parts[0][1:]}
        else:
            kinds = {"pages"}
        found: list[tuple[int, int, dict[str, Any]]] = []
        for order, rule in enumerate(self.defaults):
            scope, values = rule.get("scope") or {}, rule.get("values")
            if not isinstance(scope, dict) or not isinstance(values, dict):
                continue
            path = str(scope.get("path") or "").strip("/")
            kind = scope.get("type")
            if kind and str(kind) not in kinds:
                continue
            if path and not (
                rel_path == path
                or rel_path.startswith(path + "/")
                or ("*" in path and fnmatch.fnmatchcase(rel_path, path + "*"))
            ):
                continue
            found.append((len(path), order, values))
        merged: dict[str, Any] = {}
        for _depth, _order, values in sorted(found, key=lambda f: (f[0], f[1])):
            merged.update(values)
        return merged

    @property
    def base_path(self) -> str:
        """The old site's sub-path, from its address: ``/blog`` for ``example.org/blog/``."""
        return urlsplit(self.base_url).path.rstrip("/") if self.base_url else ""

    def is_own_url(self, url: str) -> bool:
        """True when ``url`` is absolute and points at the old site itself."""
        if not self.base_url:
            return False
        own, other = urlsplit(self.base_url), urlsplit(url)
        return bool(other.netloc) and other.netloc.lower() == own.netloc.lower()


def hugo_config_dir(folder: Path) -> Path | None:
    """Hugo's configuration directory in the site root ``folder`` (``config/_default/``).

    gohugo.io/getting-started/configuration/#configuration-directory: each
    file's name is its top-level key (``params.toml``, ``permalinks.toml``...),
    except ``hugo.*``/``config.*``, which hold the root keys.
    """
    for candidate in (folder / "config" / "_default", folder / "config"):
        if candidate.is_dir() and any(
            p.suffix in (".toml", ".yaml", ".yml", ".json") for p in candidate.iterdir()
        ):
            return candidate
    return None


def detect_family(root: Path) -> str:
    """The family of the site whose content folder (or site root) is ``root``.

    ``"markdown"`` if unsure. Hugo is also recognised by its configuration
    directory (``config/_default/``).
    """
    for folder in (root, root.parent):
        names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        if names & {"hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json"}:
            return "hugo"
        if "config" in names and hugo_config_dir(folder) is not None:
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
    return "zola" if _zola_section(root / "_index.md") else "markdown"


# Section front matter only Zola reads (getzola.org/documentation/content/section/).
_ZOLA_SECTION_KEYS = re.compile(
    r"^(?:sort_by|paginate_by|paginate_path|generate_feeds?|insert_anchor_links|page_template"
    r"|transparent|in_search_index|redirect_to)\s*=",
    re.M,
)


def _zola_section(path: Path) -> bool:
    """True when ``path`` is a Zola section file: content copied without its config.toml."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.startswith("+++"):
        return False
    front = text[3:].split("\n+++", 1)[0]
    return bool(_ZOLA_SECTION_KEYS.search(front.split("\n[", 1)[0]))


def find_config(family: str, root: Path) -> Path | None:
    """The configuration file of ``family`` in ``root`` or its parent, if any."""
    names = {
        "hugo": HUGO_CONFIGS,
        "jekyll": ("_config.yml", "_config.yaml"),
        "zola": ("zola.toml", "config.toml"),
        "eleventy": ("eleventy.config.js", ".eleventy.js", "eleventy.config.mjs"),
        "markdown": ("mkdocs.yml", "mkdocs.yaml"),
    }.get(family, ())
    for folder in (root, root.parent):
        for name in names:
            if (folder / name).is_file():
                return folder / name
        config_dir = hugo_config_dir(folder) if family == "hugo" else None
        if config_dir is not None:
            files = sorted(p for p in config_dir.iterdir() if p.suffix in _DATA_SUFFIXES)
            main = [p for p in files if p.stem in ("hugo", "config")]
            return (main or files)[0]
    return None


_DATA_SUFFIXES = (".toml", ".yml", ".yaml", ".json")
JEKYLL_EXCLUDES = (
    ".sass-cache",
    ".jekyll-cache",
    "gemfiles",
    "Gemfile",
    "Gemfile.lock",
    "node_modules",
    "vendor",
)
"""Jekyll's default ``exclude`` (jekyllrb.com/docs/configuration/options/)."""


def _site_root(family: str, path: Path) -> Path:
    """The site's root folder, from the path of its configuration file."""
    if family == "hugo" and path.parent.name == "_default" and path.parent.parent.name == "config":
        return path.parent.parent.parent
    if family == "hugo" and path.parent.name == "config" and path.stem not in ("hugo", "config"):
        return path.parent.parent
    return path.parent


def _read_hugo(path: Path) -> dict[str, Any]:
    """Hugo's settings: the file at ``path``, merged with a configuration directory.

    In ``config/_default/`` (or beside a root ``hugo.toml``), ``hugo.*`` and
    ``config.*`` give root keys and any other file its own key
    (``params.toml`` -> ``params``); the root file wins where both set a key.
    """
    root = _site_root("hugo", path)
    folder = hugo_config_dir(root)
    data: dict[str, Any] = {}
    if folder is not None:
        for file in sorted(folder.iterdir()):
            if file.suffix not in _DATA_SUFFIXES or not file.is_file():
                continue
            values = _read_data(file)
            if file.stem in ("hugo", "config"):
                data.update(values)
            else:
                data[file.stem] = {**(data.get(file.stem) or {}), **values}
    if path.parent != folder:
        data.update(_read_data(path))
    return data


def js_strings(path: Path) -> dict[str, str]:
    """``key: "value"`` pairs of a JavaScript data or config file (not executed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = re.findall(r"""(?<![\w.$])["']?(\w+)["']?\s*:\s*(["'`])([^"'`\n]*)\2""", text)
    found: dict[str, str] = {}
    for key, _quote, value in pairs:
        found.setdefault(key, value)
    return found


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
    config.heading_ids = _DEFAULT_HEADING_IDS.get(family, "")
    config.definition_lists = family in ("hugo", "jekyll")
    if family == "jekyll":
        config.permalinks["posts"] = JEKYLL_STYLES["date"]
        config.exclude = list(JEKYLL_EXCLUDES)
    if path is None:
        return config
    config.site_root = _site_root(family, path.resolve())
    config.authors = _author_names(config.site_root, family)
    if family == "hugo":
        data = _read_hugo(path.resolve())
    else:
        data = _read_data(path) if path.suffix in _DATA_SUFFIXES else {}
    if family == "eleventy":
        strings = js_strings(path) if path.suffix in (".js", ".mjs", ".cjs") else {}
        text = path.read_text(encoding="utf-8", errors="replace")
        setter = re.search(r"""setInputDirectory\(\s*["'`]([^"'`]+)["'`]""", text)  # Eleventy 3
        input_dir = setter.group(1) if setter else strings.get("input", ".")
        config.content_dir = posixpath.normpath(input_dir).strip("/")
        config.content_dir = "" if config.content_dir == "." else config.content_dir
        folders = [path.parent / "_data", path.parent / "src" / "_data"]
        folders.append(path.parent / config.content_dir / "_data")
        for name in ("site", "metadata"):
            for folder in folders:
                values: dict[str, Any] = {}
                if (folder / f"{name}.json").is_file():
                    values = _read_data(folder / f"{name}.json")
                for ext in (".js", ".mjs", ".cjs"):
                    if (folder / f"{name}{ext}").is_file():
                        values = {**js_strings(folder / f"{name}{ext}"), **values}
                if values:  # {{ metadata.title }}, and site.* as before
                    data = {**values, **data, name: {**values, **(data.get(name) or {})}}
        config.site = data
        config.base_url = str(data.get("url") or data.get("baseURL") or "")
        prefix = strings.get("pathPrefix", "").strip("/")
        if prefix:  # 11ty.dev/docs/config/#deploy-to-a-subdirectory-with-a-path-prefix
            parts = urlsplit(config.base_url)
            config.base_url = (
                f"{parts.scheme}://{parts.netloc}/{prefix}/" if parts.netloc else f"/{prefix}/"
            )
        return config
    if family == "hugo":
        config.content_dir = str(data.get("contentDir") or data.get("contentdir") or "content")
        languages = data.get("languages")
        if isinstance(languages, dict) and len(languages) > 1:
            default = str(data.get("defaultContentLanguage") or "en").lower()
            dirs = {
                str(lang).lower(): str(value.get("contentDir") or value.get("contentdir") or "")
                for lang, value in languages.items()
                if isinstance(value, dict)
            }
            config.default_language = default
            if dirs.get(default):
                config.content_dir = dirs[default].strip("/")
            config.translations = {k: v.strip("/") for k, v in dirs.items() if k != default}
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
        config.heading_ids = _hugo_heading_ids(data)
        config.definition_lists, config.definition_term_ids = _hugo_definition_lists(data)
    elif family == "jekyll":
        style = str(data.get("permalink") or "date")
        config.permalinks["posts"] = JEKYLL_STYLES.get(style, style)
        config.base_url = str(data.get("url") or "").rstrip("/") + str(data.get("baseurl") or "")
        config.site = data
        config.heading_ids, config.heading_id_prefix = _jekyll_heading_ids(data)
        config.definition_lists = str(data.get("markdown") or "kramdown").lower() == "kramdown"
        exclude = data.get("exclude")
        if isinstance(exclude, list):
            config.exclude += [str(e).strip().strip("/") for e in exclude if str(e).strip()]
        defaults = data.get("defaults")
        config.defaults = (
            [d for d in defaults if isinstance(d, dict)] if isinstance(defaults, list) else []
        )
        collections = data.get("collections")
        if isinstance(collections, list):  # Jekyll 2's list form: names only, not output
            collections = {str(name): {} for name in collections}
        if isinstance(collections, dict):
            config.collections = {
                str(name): value if isinstance(value, dict) else {}
                for name, value in collections.items()
                if str(name) != "posts"
            }
    elif family == "markdown" and path.name.startswith("mkdocs."):
        # mkdocs.org/user-guide/configuration/: docs_dir, site_name, site_url
        config.content_dir = str(data.get("docs_dir") or "docs").strip("/")
        config.base_url = str(data.get("site_url") or "")
        config.site = {**data, "title": data.get("site_name") or ""}
        config.heading_ids = "python-markdown"
        config.definition_lists = _mkdocs_extension(data, "def_list")
        if data.get("use_directory_urls") is False:
            config.permalinks["page"] = ":path.html"
    elif family == "zola":
        config.content_dir = "content"
        config.base_url = str(data.get("base_url") or "")
        config.site = {**data, **(data.get("extra") or {})}
        slugify = data.get("slugify")
        if isinstance(slugify, dict) and str(slugify.get("anchors", "on")) != "on":
            config.heading_ids = "zola-safe"
        markdown = data.get("markdown") if isinstance(data.get("markdown"), dict) else {}
        config.definition_lists = markdown.get("definition_list") is True
    return config


# What each family's renderer does with no configuration (cms/importer/anchors.py).
_DEFAULT_HEADING_IDS = {"hugo": "hugo-github", "jekyll": "kramdown-gfm", "zola": "zola"}


def _hugo_heading_ids(data: dict[str, Any]) -> str:
    """gohugo.io/configuration/markup/#goldmark: ``parser.autoHeadingID`` (default on) and
    ``parser.autoHeadingIDType`` (``github``, ``github-ascii`` or ``blackfriday``)."""
    parser = _lower_keys(_goldmark(data).get("parser"))
    if parser.get("autoheadingid") is False:
        return ""
    style = str(parser.get("autoheadingidtype") or "github").lower()
    return "hugo-" + (style if style in ("github", "github-ascii", "blackfriday") else "github")


def _hugo_definition_lists(data: dict[str, Any]) -> tuple[bool, bool]:
    """Hugo's ``markup.goldmark.extensions.definitionList`` (default on) and
    ``markup.goldmark.parser.autoDefinitionTermID`` (default off)."""
    goldmark = _goldmark(data)
    lists = _lower_keys(goldmark.get("extensions")).get("definitionlist") is not False
    term_ids = _lower_keys(goldmark.get("parser")).get("autodefinitiontermid") is True
    return lists, lists and term_ids


def _mkdocs_extension(data: dict[str, Any], name: str) -> bool:
    """Whether MkDocs' ``markdown_extensions`` (names, or one-key dicts) include ``name``."""
    listed = data.get("markdown_extensions") or []
    names = [next(iter(e), "") if isinstance(e, dict) else str(e) for e in listed]
    return any(n == name or n.endswith(f".{name}") for n in names)


def _jekyll_heading_ids(data: dict[str, Any]) -> tuple[str, str]:
    """Jekyll's kramdown settings (jekyllrb.com/docs/configuration/markdown/): ``auto_ids``
    (default on), ``input`` (``GFM`` by default: GitHub's ids) and ``auto_id_prefix``."""
    if str(data.get("markdown") or "kramdown").lower() != "kramdown":
        return "", ""  # CommonMark and others: no heading ids by default
    kramdown = data.get("kramdown") if isinstance(data.get("kramdown"), dict) else {}
    if kramdown.get("auto_ids") is False:
        return "", ""
    style = "kramdown-gfm" if str(kramdown.get("input") or "GFM").lower() == "gfm" else "kramdown"
    return style, str(kramdown.get("auto_id_prefix") or "")


def _goldmark(data: dict[str, Any]) -> dict[str, Any]:
    """Hugo's ``markup.goldmark`` settings, keys in lower case."""
    return _lower_keys(_lower_keys(_lower_keys(data).get("markup")).get("goldmark"))


def _lower_keys(value: Any) -> dict[str, Any]:
    # Hugo's settings are case-insensitive.
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


class _TolerantLoader(yaml.SafeLoader):
    """YAML's safe loader that reads application tags (``!!python/name:...``, ``!ENV``) as null.

    MkDocs configurations use them; the importer needs none of their values.
    """


_TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, s, node: None)


def _author_names(site_root: Path, family: str) -> dict[str, str]:
    """``{key: name}`` from ``_data/authors.yml`` (Jekyll) or ``data/authors.*`` (Hugo)."""
    folder = site_root / ("_data" if family in ("jekyll", "eleventy") else "data")
    names: dict[str, str] = {}
    for ext in (".yml", ".yaml", ".json", ".toml"):
        path = folder / f"authors{ext}"
        if not path.is_file():
            continue
        try:
            data = _read_data(path)
        except TargetError:
            continue
        for key, value in data.items():
            if isinstance(value, dict):
                name = value.get("name") or value.get("display_name") or value.get("displayName")
                if isinstance(name, str) and name.strip():
                    names[str(key)] = name.strip()
    return names


def _read_data(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_TolerantLoader)
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
        if "{" in doc.permalink:  # a template (Eleventy/Nunjucks/Liquid)
            return _eleventy_permalink(doc.permalink, page)
        if config.family == "jekyll" and ":" in doc.permalink:
            return _resolved(_expand(doc.permalink, _jekyll_values(page)))
        return _absolute(doc.permalink)
    folders = [p for p in PurePosixPath(page.rel_path).parent.parts if p]
    stem = PurePosixPath(page.rel_path).name.rsplit(".", 1)[0]
    if config.default_language:  # Hugo's about.en.md, index.en.md: the default language
        stem = stem.removesuffix(f".{config.default_language}") or stem
    if config.family == "jekyll":
        if "_posts" in folders or "_drafts" in folders:
            return _resolved(_expand(config.permalinks["posts"], _jekyll_values(page)))
        pretty = config.permalinks["posts"].endswith("/")
        collection = folders[0][1:] if folders and folders[0].startswith("_") else ""
        if collection in config.collections:
            return _jekyll_collection_url(config, collection, page, pretty)
        if page.is_section or stem == "index":
            return "/" + "/".join(folders) + ("/" if folders else "")
        return "/" + "/".join([*folders, stem]) + ("/" if pretty else ".html")
    if config.family == "eleventy" and folders and stem == folders[-1]:
        return "/" + "/".join(folders) + "/"  # subdir/subdir.md is subdir's index
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
    if config.permalinks.get("page") == ":path.html":  # MkDocs without directory URLs
        return "/" + "/".join([*folders, name]) + ".html"
    return "/" + "/".join([*folders, name]) + "/"


def _resolved(path: str) -> str | None:
    """``path``, or ``None`` when a placeholder had no value (an undated draft's ``:year``)."""
    return None if _TOKEN.search(path) else path


def _jekyll_collection_url(
    config: SiteConfig, name: str, page: PageFacts, pretty: bool
) -> str | None:
    """A document of the Jekyll collection ``name``; ``None`` when it is not output.

    jekyllrb.com/docs/collections/#permalinks: the collection's ``permalink``,
    else ``/:collection/:path:output_ext`` (``/`` instead of the extension
    when the site's permalink style is pretty).
    """
    settings = config.collections[name]
    if not settings.get("output"):
        return None
    default = "/:collection/:path" + ("/" if pretty else ":output_ext")
    pattern = str(settings.get("permalink") or default)
    inner = PurePosixPath(*PurePosixPath(page.rel_path).parts[1:]).as_posix()
    values = {**_jekyll_values(page), "collection": name, "path": inner.rsplit(".", 1)[0]}
    return _resolved(_expand(JEKYLL_STYLES.get(pattern, pattern), values))


_ELEVENTY_OUTPUT = re.compile(r"\{\{-?\s*(.+?)\s*-?\}\}")


def _eleventy_permalink(template: str, page: PageFacts) -> str | None:
    """An Eleventy ``permalink`` template, for the variables a file itself gives.

    11ty.dev/docs/data-eleventy-supplied/: ``page.fileSlug`` (the file name
    without a date prefix; an index file's folder), ``page.filePathStem``,
    ``title``/``slug`` front matter, with the ``slugify``/``slug`` filters.
    ``None`` when the template uses anything else.
    """
    path = PurePosixPath(page.rel_path)
    stem = path.name.rsplit(".", 1)[0]
    file_slug = path.parent.name if stem == "index" and path.parent.name else stem
    file_slug = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", file_slug)
    variables: dict[str, Any] = {
        "page.fileSlug": file_slug,
        "page.filePathStem": "/" + path.as_posix().rsplit(".", 1)[0],
        **{k: v for k, v in page.doc.params.items() if isinstance(v, (str, int))},
    }
    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name, *filters = [part.strip() for part in match.group(1).split("|")]
        if name not in variables:
            unknown = True
            return ""
        text = str(variables[name])
        for flt in filters:
            if flt in ("slugify", "slug"):
                text = re.sub(r"[^\w]+", "-", text.lower()).strip("-")
            else:
                unknown = True
        return text

    url = _ELEVENTY_OUTPUT.sub(value, template)
    if unknown or "{" in url:
        return None
    url = _absolute(url)
    return url if url.endswith(("/", ".html")) or "." in url.rsplit("/", 1)[-1] else url + "/"


def _absolute(url: str) -> str:
    """The path of ``url`` from the site root; ``/a/index.html`` is the folder ``/a/``."""
    path = urlsplit(url).path
    path = "/" + path.lstrip("/") if path else "/"
    return path.removesuffix("index.html") if path.endswith("/index.html") else path


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
    # Jekyll lower-cases categories but does not slugify them: "Release Notes"
    # is /release%20notes/ (jekyll#5813); :slugified_categories (Jekyll 4.1) does
    names = list(dict.fromkeys(c.lower() for c in page.doc.categories))
    categories = "/".join(quote(c, safe="-._~!$&'()*+,;=:@") for c in names)
    slugified = "/".join(re.sub(r"[^a-z0-9]+", "-", c).strip("-") for c in names)
    return {
        **_date_values(page.doc.date),
        "title": page.doc.slug or title,
        "slug": page.doc.slug or title,
        "name": title,
        "categories": categories,
        "slugified_categories": slugified,
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
