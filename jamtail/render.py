"""Render: turn a planned :class:`~jamtail.plan.Output` into HTML with Jinja2.

The environment loads ``site/templates`` with autoescaping on and provides:

- filters ``richtext`` (trusted CMS HTML, marked safe), ``highlight(language)``
  (Pygments at build time, see ``highlight``), ``isodate`` and ``humandate``;
- globals ``site``, ``asset(path)`` (fingerprinted URL of a file in
  ``site/static``) and ``absolute(url)`` (prefix the site's base URL).

A template error becomes :class:`~jamtail.exceptions.TemplateRenderError`
naming the template, the line and the page being rendered.
"""

from __future__ import annotations

import datetime as dt
from collections import ChainMap
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .exceptions import TemplateRenderError
from .highlight import highlight_code
from .plan import Output


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


def bytecode_dir(cache_dir: Path, builder: str) -> Path:
    """Where a build keeps compiled templates: one folder per builder fingerprint.

    Jinja2 checks a compiled template against its source only; the builder
    fingerprint (:func:`jamtail.incremental.builder_fingerprint`: this code
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
        self.env = jinja2.Environment(
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
            context.setdefault("canonical_url", self.absolute(url))
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
