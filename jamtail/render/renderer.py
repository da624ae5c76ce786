"""Render: turn a planned :class:`~jamtail.plan.planner.Output` into HTML with Jinja2.

The environment loads ``site/templates`` with autoescaping on and provides:

- filters ``richtext`` (trusted CMS HTML, marked safe), ``highlight(language)``
  (Pygments at build time, see ``highlight``), ``isodate`` and ``humandate``;
- globals ``site``, ``asset(path)`` (fingerprinted URL of a file in
  ``site/static``), ``absolute(url)`` (prefix the site's base URL) and
  ``fragment(macro, page, *args)`` (call a macro for a page once per page
  version and reuse its HTML in every listing, see :class:`FragmentCache`);
- ``canonical_url``: the page's absolute URL, or ``""`` when the site settings
  have no base URL (templates then write no canonical link and no ``og:url``).

A template error becomes :class:`~jamtail.exceptions.TemplateRenderError`
naming the template, the line and the page being rendered.
"""

from __future__ import annotations

import datetime as dt
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from jamtail.exceptions import TemplateRenderError
from jamtail.plan.planner import Output
from jamtail.render.highlight import highlight_code


def isodate(value: Any) -> str:
    """ISO 8601 for a date, datetime or ISO string; empty for ``None``."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def humandate(value: Any) -> str:
    """``17 April 2020`` for a date, datetime or ISO date string."""
    if isinstance(value, str) and value:
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return ""


class TrackingLoader(jinja2.FileSystemLoader):
    """A file-system loader that records every template name a render asks for.

    ``extends``, ``import``, ``from ... import`` and ``include`` (static or
    computed, like ``"blocks/" ~ block.type ~ ".html"``) all load through
    :meth:`load` (Jinja2's documented ``BaseLoader.load``), so the names
    recorded while an output renders are exactly the templates its HTML
    depends on (names that were asked for but do not exist included: creating
    one later must rebuild the output). The loader keeps the compiled
    templates itself, because the environment's cache (switched off, see
    :class:`Renderer`) would answer repeated loads without asking the loader.
    """

    def __init__(self, searchpath: str):
        super().__init__(searchpath)
        self.loads: set[str] | None = None
        self.compiled: dict[str, jinja2.Template] = {}

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        if self.loads is not None:
            self.loads.add(name)
        template = self.compiled.get(name)
        if template is None:
            template = self.compiled[name] = super().load(environment, name, globals)
        elif isinstance(globals, ChainMap) and globals.maps[0]:
            # As Jinja2's own cache does: the importing template's extra globals
            # (the first map; the rest are the environment's) join the template's.
            template.globals.update(globals.maps[0])
        return template


class FragmentCache:
    """Per-page HTML fragments (cards, tag lists, bylines), rendered once, reused.

    ``fragment(m.card, entry, 3)`` in a template calls the macro ``card`` with
    ``(entry, 3)`` the first time and answers the same :class:`~markupsafe.Markup`
    afterwards, for as long as this process renders (the rest of a build, a
    forked worker's share of one). The key is

    - the macro's compiled code: a macro in another template, or the same
      macro after its template changed (a new compilation), is another key;
    - the page's content hash, when ``page_keys`` (page id -> hash, from
      :class:`~jamtail.plan.incremental.Inputs`) knows it, else the page
      object itself (it is kept alive, so its identity is never reused);
    - the other arguments, which must be hashable (numbers, strings).

    A macro imported without context (``{% import "macros.html" as m %}``)
    sees only its arguments and the environment's globals, which are the same
    for a whole build, so its HTML is a function of the key: reusing it never
    changes a byte. Templates a fragment loaded while it was first rendered
    (an ``include`` inside the macro) are reported again to the
    :class:`TrackingLoader` on every reuse, so each output still records
    every template its HTML depends on (see :mod:`jamtail.plan.incremental`).
    ``loader`` ``None``: an environment with another loader (nothing recorded).
    """

    def __init__(
        self, loader: TrackingLoader | None = None, page_keys: Mapping[int, str] | None = None
    ):
        self.loader = loader
        self.page_keys: Mapping[int, str] = page_keys or {}
        self.hits = 0
        self._html: dict[tuple[Any, ...], tuple[Markup, frozenset[str], Any]] = {}

    def __call__(self, macro: Any, page: Any, *args: Any) -> Markup:
        """``macro(page, *args)`` as Markup, from the cache when this page version had it."""
        code = getattr(getattr(macro, "_func", None), "__code__", None)
        if code is None:
            raise TypeError(f"fragment() takes a macro first, not {type(macro).__name__}")
        pid = page.get("id") if isinstance(page, Mapping) else None
        digest = self.page_keys.get(pid) if isinstance(pid, int) else None
        key = (code, ("page", pid, digest) if digest else id(page), args)
        found = self._html.get(key)
        loader = self.loader
        if found is not None:
            self.hits += 1
            if loader is not None and loader.loads is not None:
                loader.loads.update(found[1])
            return found[0]
        inner: set[str] = set()
        if loader is None:
            html = Markup(macro(page, *args))
        else:
            outer = loader.loads
            loader.loads = inner
            try:
                html = Markup(macro(page, *args))
            finally:
                loader.loads = outer
                if outer is not None:
                    outer.update(inner)
        self._html[key] = (html, frozenset(inner), page)
        return html


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja2's environment with a shorter path for ``page.title`` on a plain dict.

    Jinja2 looks an attribute up first (``getattr``), then an item; on a dict
    the attribute lookup fails with an exception for every field, and
    templates read about a hundred fields per page. A plain ``dict`` (exactly
    that type) has only the attributes of the class, so when the name is not
    one of them (``items``, ``keys``...), the answer is the item or undefined,
    the same as Jinja2's, without the exception.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def bytecode_dir(cache_dir: Path, builder: str) -> Path:
    """Where a build keeps compiled templates: one folder per builder fingerprint.

    Jinja2 checks a compiled template against its source only; the builder
    fingerprint (:func:`jamtail.plan.incremental.builder_fingerprint`: this code
    and the Jinja2 version) covers how it was compiled.
    """
    return cache_dir / "jinja" / builder


class Renderer:
    """Render outputs with the templates in ``templates_dir``.

    ``site`` is the site dict from the plan; ``asset`` maps a static path to
    its fingerprinted URL. ``render`` returns the HTML as ``str``.
    ``bytecode_dir``: where compiled templates are kept between builds (Jinja2
    checks each against its source), so a build that renders a few pages
    does not spend its time compiling templates.
    """

    def __init__(
        self,
        templates_dir: Path,
        site: dict[str, Any],
        asset: Callable[[str], str],
        bytecode_dir: Path | None = None,
    ):
        cache = None
        if bytecode_dir is not None:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
            cache = jinja2.FileSystemBytecodeCache(str(bytecode_dir))
        self.loader = TrackingLoader(str(templates_dir))
        self.env = _Environment(
            loader=self.loader,
            cache_size=0,  # the loader caches, so that it sees every load
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            bytecode_cache=cache,
        )
        base_url = site.get("base_url", "")

        def absolute(url: str) -> str:
            return base_url + url if url and url.startswith("/") else url

        self.absolute = absolute
        self.base_url = base_url
        self.fragments = FragmentCache(self.loader)
        self.env.filters.update(
            richtext=lambda html: Markup(html or ""),
            highlight=lambda code, language="": Markup(highlight_code(code or "", language or "")),
            isodate=isodate,
            humandate=humandate,
        )
        self.env.globals.update(
            site=site,
            asset=asset,
            absolute=absolute,
            fragment=self.fragments,
        )

    def render_tracked(self, output: Output) -> tuple[str, set[str]]:
        """Render one output; return the HTML and the names of every template it loaded."""
        loads: set[str] = set()
        self.loader.loads = loads
        try:
            return self.render(output), loads
        finally:
            self.loader.loads = None

    def render(self, output: Output) -> str:
        """Render one output; raise :class:`TemplateRenderError` naming template and page."""
        try:
            template = self.env.get_template(output.template)
            context = dict(output.context)
            url = "/" + output.path.removesuffix("index.html")
            # Without a base URL no canonical URL: a relative one is not a valid canonical
            # (RFC 6596 wants the absolute IRI; search engines and Lighthouse reject it).
            context.setdefault("canonical_url", self.absolute(url) if self.base_url else "")
            return template.render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateRenderError(
                f"{output.source}: template {exc.name!r} not found in "
                f"{self.env.loader.searchpath[0]}; "  # type: ignore[union-attr]
                f"add it (one template per page type)"
            ) from exc
        except Exception as exc:
            raise TemplateRenderError(
                f"{output.source}: template {_template_location(exc, output.template)}: "
                f"{exc.__class__.__name__}: {exc}"
            ) from exc


def _template_location(exc: BaseException, default: str) -> str:
    """``file.html line N`` of the innermost template frame in ``exc``'s traceback.

    Jinja2 rewrites tracebacks so template frames carry the template's file
    name and line, which is what a site developer needs to see.
    """
    location = getattr(exc, "filename", None) or default
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt")):
            location, line = Path(filename).name, tb.tb_lineno
        tb = tb.tb_next
    return f"{location} line {line}" if line else location
