"""Template tags in Markdown bodies -> plain Markdown, before parsing; never leaked as text.

Pure apart from reading include files. ``convert_templates(body, context)``
returns :class:`Converted`: the Markdown with every tag replaced and the
warnings (``"path:line: ..."``) for tags it could only keep.

Code is left alone: fenced code blocks and inline code spans are set aside
first (Hugo's escaped ``{{</* x */>}}`` inside them becomes ``{{< x >}}``, as
Hugo renders it). Elsewhere:

=====================================  ============================================
Liquid (Jekyll, Eleventy)              becomes
=====================================  ============================================
``{% highlight lang %}..{% end.. %}``  a fenced code block in ``lang``
``{% raw %}..{% endraw %}``            its text, untouched by later rules
``{% link path %}``                    ``/path`` (the importer links the page)
``{% post_url 2019-03-18-slug %}``     ``/<path of that post>``
``{% include file k="v" %}``           the file from ``_includes/``, ``{{ include.k }}``
                                       filled in, converted in turn
``{{ site.a.b }}``                     the config value (``--config``);
                                       ``site.baseurl`` is ``""``: links are
                                       read from the old site's root
``{{ "/x.png" | relative_url }}``      ``/x.png`` (also ``absolute_url``,
                                       Eleventy's ``url``, ``inputPathToUrl``)
``{% comment %}..{% endcomment %}``    nothing
=====================================  ============================================

Hugo shortcodes, ``{{< name args >}}`` and the Markdown form ``{{% name %}}``
(paired with ``{{< /name >}}`` when they have inner content): ``highlight``
and ``code-toggle`` -> code; ``figure``/``img`` -> an image paragraph;
``ref``/``relref`` -> the ``/path`` of the content file named (absolute from
the content root, relative to the page, or by unique name); ``youtube``,
``vimeo``, ``gist`` -> a link on its own line (the body writer makes embeds
of those); ``details`` -> ``<details>``; ``param`` -> the site or page
parameter; ``include`` -> the content file's Markdown; ``new-in`` and
``deprecated-in`` -> a short note.

Zola shortcodes, ``{{ name(k=v) }}`` and ``{% name(k=v) %}..{% end %}``:
``youtube``, ``vimeo``, ``gist`` as above.

Anything else is kept as code (an inline code span, or a fenced ``template``
block when it has a body), clearly marked, and reported with its line.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from .frontmatter import split_front_matter

_FENCE_OPEN = re.compile(r"^([ \t]*(?:(?:[-*+]|\d+[.)])[ \t]+|>[ \t]?)*)(`{3,}|~{3,})([^`]*)$")
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_MARK = "\ue000{}\ue001"
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_ESCAPED_SHORTCODE = re.compile(r"\{\{([<%])/\*\s*(.*?)\s*\*/([>%])\}\}", re.DOTALL)

_LIQUID_BLOCKS = re.compile(
    r"\{%-?\s*(highlight|raw|comment)\b([^%]*?)-?%\}(.*?)\{%-?\s*end\1\s*-?%\}", re.DOTALL
)
_LIQUID_FOR = re.compile(
    r"\{%-?\s*for\s+(\w+)\s+in\s+([^%]*?)-?%\}((?:(?!\{%-?\s*for\b).)*?)\{%-?\s*endfor\s*-?%\}",
    re.DOTALL,
)
_LISTING_SOURCES = re.compile(r"^\(?\s*(?:site\.|paginator\.|collections\.|search\.|pagination\.)")
_HUGO_PAIRED = re.compile(  # an opening tag is not self-closing: {{< x />}} is one tag
    r"\{\{([<%])\s*([\w-]+)((?:[^>%]|>(?!\}\})|%(?!\}\}))*?)(?<!/)\s*[>%]\}\}"
    r"(.*?)\{\{[<%]\s*/\s*\2\s*[>%]\}\}",
    re.DOTALL,
)
_HUGO_SINGLE = re.compile(r"\{\{([<%])\s*([\w-]+)((?:[^>%]|>(?!\}\})|%(?!\}\}))*?)\s*[>%]\}\}")
_ZOLA_BODY = re.compile(r"\{%\s*([\w-]+)\(([^)]*)\)\s*%\}(.*?)\{%\s*end\s*%\}", re.DOTALL)
_ZOLA_INLINE = re.compile(r"\{\{\s*([\w-]+)\(([^)]*)\)\s*\}\}")
_LIQUID_TAG = re.compile(r"\{%-?\s*(\w+)\s*(.*?)\s*-?%\}", re.DOTALL)
_LIQUID_OUTPUT = re.compile(r"\{\{-?\s*([\w.\-\[\]\"']+)\s*(\|[^}]*)?-?\}\}")
_LITERAL_OUTPUT = re.compile(
    r"""\{\{-?\s*(["'])([^"'{}]*)\1\s*((?:\|\s*\w+(?:\s*:\s*[^|}]*|\([^)]*\))?\s*)*)-?\}\}"""
)
_URL_FILTERS = {
    "relative_url",
    "absolute_url",
    "url",
    "htmlBaseUrl",
    "absoluteUrl",
    "escape",
    "strip",
}
"""Filters of a quoted path that keep it a site path (Jekyll ``relative_url``, Eleventy ``url``)."""
_BASE_PATH_VARIABLES = {"site.baseurl", "site.base_path", "site.pathPrefix"}
"""Variables holding the old site's sub-path: links are read from the site root (``""``)."""
_ANY_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_MAX_INCLUDE_DEPTH = 5
_LINK_TO_MARK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?\ue000(\d+)\ue001>?\s*\)")
# A reference definition whose destination is a tag set aside: [label]: <{{% eturl x %}}>
_DEFINITION_TO_MARK = re.compile(
    r"^[ \t]{0,3}\[([^\]]+)\]:[ \t]*<?\ue000(\d+)\ue001>?[ \t]*$", re.M
)
# A reference-style link: [text][label], [label][] or [label] (not [text](url) or [x]: def)
_REFERENCE_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\](?:\[([^\]]*)\])?(?![(:\[])")
_MDX_ESM = re.compile(r"^(?:import|export)\s.*$", re.M)
_JSX_BLOCK = re.compile(r"^[ \t]*<([A-Z][\w.]*)\b(?:[^>]*?/>|.*?</\1>)[ \t]*$", re.M | re.DOTALL)


@dataclass
class TemplateContext:
    """What tags may look up while converting one file.

    ``content_root`` is the import root; ``includes`` the folders Liquid
    ``include`` reads; ``find_content(name, rel_path)`` the content file a
    ``ref``, ``link`` or ``post_url`` names (POSIX path relative to the root,
    or ``None``); ``site`` and ``page`` the variables ``site.*``/``param`` read.
    """

    rel_path: str
    content_root: Path
    includes: list[Path] = field(default_factory=list)
    site: dict[str, Any] = field(default_factory=dict)
    page: dict[str, Any] = field(default_factory=dict)
    find_content: Callable[[str, str], str | None] = lambda name, rel: None
    first_line: int = 1
    """Line number of the body's first line in the source file."""


@dataclass
class Converted:
    """The body with its tags converted, and ``path:line: message`` warnings."""

    body: str
    warnings: list[str] = field(default_factory=list)
    kept: int = 0
    """Tags kept as marked code because nothing maps them."""


def convert_templates(body: str, context: TemplateContext, depth: int = 0) -> Converted:
    """Convert every template tag in ``body`` (see the module docstring)."""
    return _Converter(body, context, depth).run()


class _Converter:
    def __init__(self, body: str, context: TemplateContext, depth: int) -> None:
        self.original = body
        self.context = context
        self.depth = depth
        self.saved: list[str] = []
        self.kept_marks: set[int] = set()
        self.result = Converted("")

    def run(self) -> Converted:
        mdx = self.context.rel_path.endswith(".mdx")
        admonitions = "!!!" in self.original or "???" in self.original
        if "{{" not in self.original and "{%" not in self.original and not mdx and not admonitions:
            if "{:" in self.original:  # kramdown attribute lists only
                self.result.body = self.restore(_strip_kramdown(self.hide_code(self.original)))
                return self.result
            self.result.body = self.original
            return self.result
        text = self.hide_code(self.original)
        if self.context.rel_path.endswith(".mdx"):
            text = _MDX_ESM.sub(lambda m: self.keep_jsx(m.group(0)), text)
            text = _JSX_BLOCK.sub(lambda m: self.keep_jsx(m.group(0)), text)
        text = self.hide_inline_code(text)
        text = _strip_kramdown(text)
        if admonitions:
            text = self.admonitions(text)
        text = _LIQUID_BLOCKS.sub(self.liquid_block, text)
        for _ in range(4):  # loops may nest; inner ones go first
            changed = _LIQUID_FOR.sub(self.liquid_for, text)
            if changed == text:
                break
            text = changed
        for _ in range(4):  # paired shortcodes may nest; inner ones go first
            changed = _HUGO_PAIRED.sub(self.hugo_paired, text)
            if changed == text:
                break
            text = changed
        text = _HUGO_SINGLE.sub(self.hugo_single, text)
        text = _ZOLA_BODY.sub(self.zola_body, text)
        text = _ZOLA_INLINE.sub(self.zola_inline, text)
        text = _LIQUID_TAG.sub(self.liquid_tag, text)
        text = _LITERAL_OUTPUT.sub(self.literal_output, text)
        text = _LIQUID_OUTPUT.sub(self.liquid_output, text)
        text = _ANY_TAG.sub(lambda m: self.keep(m.group(0), inline="\n" not in m.group(0)), text)
        text = _LINK_TO_MARK.sub(self.unwrap_kept_link, text)
        text = self.unwrap_kept_references(text)
        self.result.body = self.restore(text)
        return self.result

    # --- code set aside -----------------------------------------------------------

    def save(self, text: str) -> str:
        self.saved.append(text)
        return _MARK.format(len(self.saved) - 1)

    def restore(self, text: str) -> str:
        for _ in range(10):
            if "\ue000" not in text:
                break
            text = _PLACEHOLDER.sub(lambda m: self.saved[int(m.group(1))], text)
        return text

    def hide_code(self, text: str) -> str:
        """Set fenced code blocks aside (Hugo's escaped shortcodes in them unescaped)."""
        out: list[str] = []
        lines = text.split("\n")
        i = 0
        while i < len(lines):
            match = _FENCE_OPEN.match(lines[i])
            if not match:
                out.append(lines[i])
                i += 1
                continue
            fence = match.group(2)
            j = i + 1
            while j < len(lines) and not re.match(
                rf"^[ \t>]*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[j]
            ):
                j += 1
            block = "\n".join(lines[i : j + 1])
            out.append(self.save(_unescape_shortcodes(block)))
            i = j + 1
        return "\n".join(out)

    def hide_inline_code(self, text: str) -> str:
        return _INLINE_CODE.sub(lambda m: self.save(_unescape_shortcodes(m.group(0))), text)

    # --- warnings and kept tags ---------------------------------------------------

    def line_of(self, tag: str) -> int:
        where = self.original.find(tag.strip()[:40])
        return self.context.first_line + (self.original.count("\n", 0, where) if where >= 0 else 0)

    def warn(self, tag: str, message: str) -> None:
        self.result.warnings.append(f"{self.context.rel_path}:{self.line_of(tag)}: {message}")

    def keep(self, tag: str, inline: bool = True, reason: str = "") -> str:
        """Keep an unconvertible tag as marked code, and say so."""
        self.result.kept += 1
        short = " ".join(tag.split())[:80]
        self.warn(tag, reason or f"template tag kept as code (no conversion): {short}")
        if inline:
            ticks = "``" if "`" in tag else "`"
            mark = self.save(f"{ticks}{' '.join(tag.split())}{ticks}")
            self.kept_marks.add(len(self.saved) - 1)
            return mark
        return self.save(f"\n\n```template\n{tag.strip()}\n```\n\n")

    def keep_jsx(self, source: str) -> str:
        """MDX: an ``import``/``export`` line or a JSX component, kept as a marked code block."""
        self.result.kept += 1
        self.warn(source, f"MDX {source.strip().split()[0]} kept as a jsx code block")
        return self.save(f"\n\n```jsx\n{source.strip()}\n```\n\n")

    def unwrap_kept_link(self, match: re.Match[str]) -> str:
        """``[text](<kept tag>)``: a link to nowhere; keep its text (the tag was reported)."""
        if int(match.group(2)) in self.kept_marks:
            return match.group(1)
        return match.group(0)

    def unwrap_kept_references(self, text: str) -> str:
        """``[text][label]`` whose ``[label]:`` names a kept tag: its text, and the
        definition dropped, as :meth:`unwrap_kept_link` does for inline links."""
        dead: set[str] = set()

        def definition(match: re.Match[str]) -> str:
            if int(match.group(2)) not in self.kept_marks:
                return match.group(0)
            dead.add(_label(match.group(1)))
            return ""

        text = _DEFINITION_TO_MARK.sub(definition, text)
        if not dead:
            return text

        def reference(match: re.Match[str]) -> str:
            label = match.group(2) or match.group(1)
            return match.group(1) if _label(label) in dead else match.group(0)

        return _REFERENCE_LINK.sub(reference, text)

    def code(self, language: str, code: str) -> str:
        fence = "````" if "```" in code else "```"
        return self.save(f"\n\n{fence}{language}\n{code.strip(chr(10))}\n{fence}\n\n")

    # --- Liquid -------------------------------------------------------------------

    def liquid_block(self, match: re.Match[str]) -> str:
        name, args, inner = match.group(1), match.group(2).split(), match.group(3)
        if name == "comment":
            return ""
        if name == "raw":
            return self.save(self.restore(inner))
        language = args[0].strip("\"',") if args else ""
        return self.code(language, self.restore(inner))

    def liquid_for(self, match: re.Match[str]) -> str:
        """A Liquid/Nunjucks ``for`` loop: a listing of the site's pages is dropped.

        ``{% for post in site.posts %}`` (also ``paginator``, Eleventy's
        ``collections``) lists pages that Jamtail's section pages and tag
        pages list themselves; any other loop is kept as a template block.
        """
        if _LISTING_SOURCES.match(match.group(2).strip()):
            self.warn(
                match.group(0),
                f"a listing of pages ({match.group(2).strip()}) dropped: "
                "Jamtail's sections and tag pages list them",
            )
            return ""
        return self.keep(self.restore(match.group(0)), inline=False)

    def liquid_tag(self, match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2)
        tag = match.group(0)
        if name in ("link", "post_url"):
            arg = rest.strip().strip("'\"")
            wanted = arg if name == "link" else arg.rsplit("/", 1)[-1]
            found = self.context.find_content(wanted, self.context.rel_path)
            if found is None:
                return self.keep(tag, reason=f"{name} names no content file: {arg}")
            return "/" + quote(found)
        if name in ("include", "include_relative", "include_cached"):
            return self.include(tag, rest, relative=name == "include_relative")
        args = [v for k, v in _split_args(rest.replace(",", " ")) if not k]
        if name == "image" and args:  # Eleventy Image's shortcode: {% image "src", "alt" %}
            alt = args[1] if len(args) > 1 else ""
            return f"\n\n![{alt}](<{args[0]}>)\n\n"
        if name == "gist" and args:  # jekyll-gist: {% gist user/id [file] %}
            return f"\n\nhttps://gist.github.com/{args[0]}\n\n"
        if name == "youtube" and args:  # jekyll/eleventy embed plugins
            return f"\n\nhttps://www.youtube.com/watch?v={args[0]}\n\n"
        if name in ("assign", "capture", "endcapture", "if", "endif", "unless", "endunless"):
            return self.keep(tag)
        return self.keep(tag)

    def include(self, tag: str, rest: str, relative: bool) -> str:
        parts = _split_args(rest)
        if not parts:
            return self.keep(tag)
        name, params = parts[0][1], {k: v for k, v in parts[1:] if k}
        folders = (
            [self.context.content_root / PurePosixPath(self.context.rel_path).parent]
            if relative
            else self.context.includes
        )
        path = next((f / name for f in folders if (f / name).is_file()), None)
        if path is None and not relative:
            theme = self.theme_include(name, params)
            if theme is not None:
                return theme
        if path is None or self.depth >= _MAX_INCLUDE_DEPTH:
            return self.keep(tag, reason=f"include file not found: {name}")
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(
            r"\{\{-?\s*include\.(\w+)\s*-?\}\}", lambda m: str(params.get(m.group(1), "")), text
        )
        inner = convert_templates(text, self.context, self.depth + 1)
        self.result.warnings += inner.warnings
        return self.save(inner.body)

    def literal_output(self, match: re.Match[str]) -> str:
        """``{{ "/assets/x.png" | relative_url }}``: the quoted site path itself.

        Filters that only add the old site's address or sub-path (Jekyll's
        ``relative_url``/``absolute_url``, ``prepend: site.baseurl``,
        Eleventy's ``url``) are dropped, since links are read from the old
        site's root; ``inputPathToUrl`` names a content file. Any other
        filter keeps the tag as code.
        """
        value = match.group(2)
        filters = [f.strip() for f in match.group(3).split("|") if f.strip()]
        for flt in filters:
            name, _, arg = flt.partition(":")
            name, arg = name.strip().split("(", 1)[0], arg.strip()
            if name == "inputPathToUrl":
                found = self.context.find_content(value, self.context.rel_path)
                if found is None:
                    return self.keep(
                        match.group(0), reason=f"{name} names no content file: {value}"
                    )
                value = "/" + quote(found)
            elif name == "prepend" and arg in _BASE_PATH_VARIABLES:
                continue
            elif name not in _URL_FILTERS:
                return self.keep(match.group(0))
        return value

    @staticmethod
    def theme_include(name: str, params: dict[str, str]) -> str | None:
        """A theme's include that is not in the site (it ships in the theme gem).

        Minimal Mistakes' and similar themes' ``figure`` (``image_path``,
        ``alt``, ``caption``), ``video`` (``id``, ``provider``) and ``toc``
        become an image, a link and nothing; ``None`` for any other name.
        """
        base = name.rsplit(".", 1)[0] if name.endswith(".html") else name
        src = params.get("image_path") or params.get("src") or params.get("image")
        if base in ("figure", "image", "img") and src:
            caption = re.sub(r"<[^>]+>", "", params.get("caption", "")).replace('"', "'")
            title = f' "{caption}"' if caption else ""
            return f"\n\n![{params.get('alt', '')}](<{src}>{title})\n\n"
        provider, video = params.get("provider", ""), params.get("id", "")
        if base == "video" and video and provider in ("youtube", "vimeo"):
            url = {
                "youtube": f"https://www.youtube.com/watch?v={video}",
                "vimeo": f"https://vimeo.com/{video}",
            }[provider]
            return f"\n\n{url}\n\n"
        if base in ("toc", "toc.html"):
            return ""
        return None

    def liquid_output(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _BASE_PATH_VARIABLES:
            return ""
        root, _, rest = name.partition(".")
        scope = {"site": self.context.site, "page": self.context.page}.get(root)
        if scope is None and isinstance(self.context.site.get(root), dict):
            scope = self.context.site[root]  # an Eleventy data file: {{ metadata.title }}
        value = _lookup(scope, rest) if scope is not None and rest else None
        if value is None:
            return self.keep(match.group(0), reason=f"unknown variable kept as code: {name}")
        return str(value)

    # --- Hugo ---------------------------------------------------------------------

    def hugo_paired(self, match: re.Match[str]) -> str:
        name, args, inner = match.group(2), _split_args(match.group(3)), match.group(4)
        named = {k: v for k, v in args if k}
        positional = [v for k, v in args if not k]
        if name == "highlight":
            return self.code(positional[0] if positional else "", self.restore(inner))
        if name == "code-toggle":
            code = self.restore(inner).strip("\n")
            language = named.get("lang") or _guess_config_language(code)
            return self.code(language, code)
        if name == "details":
            summary = named.get("summary") or (positional[0] if positional else "Details")
            return f"\n\n<details><summary>{summary}</summary>\n\n{inner.strip()}\n\n</details>\n\n"
        if name in ("deprecated-in", "new-in"):
            note = self.version_note(name, positional)
            return f"\n\n> {note} " + inner.strip().replace("\n", "\n> ") + "\n\n"
        if name in ("hl", "qr", "x"):
            return inner
        if name in _RAW_SHORTCODES:  # the common "raw HTML" shortcodes: their content
            return self.save(f"\n\n{self.restore(inner).strip()}\n\n")
        if name in _ADMONITIONS:  # docs themes' notes: a quote, labelled
            label = named.get("title") or (positional[-1] if positional else "")
            if label.lower() in _ADMONITION_TYPES or not label:
                label = (label or name).capitalize()
            return self.quote(f"**{label}:** {inner.strip()}")
        if name in ("expand", "collapse", "spoiler"):
            summary = named.get("title") or (positional[0] if positional else "Expand")
            return f"\n\n<details><summary>{summary}</summary>\n\n{inner.strip()}\n\n</details>\n\n"
        if name in ("tabs", "tabpane", "columns", "center", "section"):
            return f"\n\n{inner.strip()}\n\n".replace("\n<--->\n", "\n\n")
        if name == "tab":
            title = named.get("title") or named.get("header") or named.get("name")
            title = title or (positional[0] if positional else "")
            return f"\n\n**{title}**\n\n{inner.strip()}\n\n" if title else inner
        if name in ("mermaid", "katex", "math"):
            return self.code("mermaid" if name == "mermaid" else "latex", self.restore(inner))
        if name == "button":
            href = named.get("href") or named.get("relref") or named.get("ref") or ""
            return f"[{inner.strip()}]({href})" if href else inner.strip()
        return self.keep(match.group(0), inline=False)

    def hugo_single(self, match: re.Match[str]) -> str:
        name, args = match.group(2), _split_args(match.group(3))
        named = {k: v for k, v in args if k}
        positional = [v for k, v in args if not k]
        first = positional[0] if positional else ""
        tag = match.group(0)
        if name in ("ref", "relref"):
            target = named.get("path") or first
            path, _, anchor = target.partition("#")
            found = self.context.find_content(path, self.context.rel_path) if path else None
            if found is None and path:
                return self.keep(tag, reason=f"{name} names no content file: {target}")
            return ("/" + quote(found) if found else "") + (f"#{anchor}" if anchor else "")
        if name in ("figure", "img"):
            src = named.get("src") or first
            alt = named.get("alt") or named.get("title") or named.get("caption") or ""
            caption = named.get("caption") or named.get("title") or ""
            title = f' "{caption}"' if caption else ""
            return f"\n\n![{alt}](<{src}>{title})\n\n" if src else self.keep(tag)
        video = named.get("id") or first
        if name == "youtube" and video:
            return f"\n\nhttps://www.youtube.com/watch?v={video}\n\n"
        if name == "vimeo" and video:
            return f"\n\nhttps://vimeo.com/{video}\n\n"
        if name == "gist" and len(positional) >= 2:
            return f"\n\nhttps://gist.github.com/{positional[0]}/{positional[1]}\n\n"
        if name in ("tweet", "x", "twitter"):
            user = named.get("user") or (positional[0] if len(positional) > 1 else "")
            post = named.get("id") or (positional[-1] if name == "tweet" and positional else "")
            if post:
                return f"\n\nhttps://x.com/{user or 'i/web'}/status/{post}\n\n"
        if name == "instagram" and (named.get("id") or first):
            return f"\n\nhttps://www.instagram.com/p/{named.get('id') or first}/\n\n"
        if name == "param" and first:
            value = _lookup(self.context.page, first)
            if value is None:
                value = _lookup(self.context.site.get("params") or {}, first)
            return str(value) if value is not None else self.keep(tag)
        if name == "include" and first:
            return self.hugo_include(tag, first)
        if name in ("new-in", "deprecated-in"):
            return f"*{self.version_note(name, positional)}*"
        return self.keep(tag, inline=not _alone_on_its_line(match))

    def hugo_include(self, tag: str, name: str) -> str:
        found = self.context.find_content(name, self.context.rel_path)
        if found is None or self.depth >= _MAX_INCLUDE_DEPTH:
            return self.keep(tag, reason=f"include names no content file: {name}")
        text = (self.context.content_root / found).read_text(encoding="utf-8", errors="replace")
        try:
            _meta, body = split_front_matter(text, found)
        except Exception:
            body = text
        body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
        inner = convert_templates(body, self.context, self.depth + 1)
        self.result.warnings += inner.warnings
        return self.save(f"\n\n{inner.body.strip()}\n\n")

    def admonitions(self, text: str) -> str:
        """Python-Markdown/MkDocs admonitions (``!!! note "Title"`` and an indented body).

        ``!!!`` becomes a labelled quote, ``???`` (collapsible) a ``<details>``.
        """
        lines = text.split("\n")
        out: list[str] = []
        i = 0
        while i < len(lines):
            match = _ADMONITION.match(lines[i])
            if not match:
                out.append(lines[i])
                i += 1
                continue
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip() or lines[j].startswith(("    ", "\t", "\ue000"))
            ):
                j += 1
            while j > i + 1 and not lines[j - 1].strip():
                j -= 1
            inner = "\n".join(
                _PLACEHOLDER.sub(self.dedent_saved, line) for line in lines[i + 1 : j]
            )
            inner = textwrap.dedent(inner).strip()
            kind, title = match.group(2), match.group(3)
            label = title if title is not None else kind.capitalize()
            if match.group(1).startswith("???"):
                out.append(f"\n<details><summary>{label}</summary>\n\n{inner}\n\n</details>\n")
            else:
                out.append(self.quote(f"**{label}:** {inner}" if label else inner))
            i = j
        return "\n".join(out)

    def dedent_saved(self, match: re.Match[str]) -> str:
        """A code block set aside from inside an indented block, without that indentation."""
        return self.save(textwrap.dedent(self.restore(match.group(0))))

    def quote(self, markdown: str) -> str:
        """``markdown`` as a block quote; code set aside in it is quoted line by line too."""

        def requote(match: re.Match[str]) -> str:
            return self.save(self.restore(match.group(0)).replace("\n", "\n> "))

        body = _PLACEHOLDER.sub(requote, markdown.strip())
        return "\n\n> " + body.replace("\n", "\n> ") + "\n\n"

    @staticmethod
    def version_note(name: str, positional: list[str]) -> str:
        version = positional[0] if positional else ""
        version = version if version.startswith("v") or not version else f"v{version}"
        return f"{'New' if name == 'new-in' else 'Deprecated'} in {version}".strip()

    # --- Zola ---------------------------------------------------------------------

    def zola_body(self, match: re.Match[str]) -> str:
        """A Zola shortcode with a body: themes' notes become a labelled quote."""
        name, args, body = match.group(1), _zola_args(match.group(2)), match.group(3)
        if name in _ADMONITIONS:
            kind = args.get("type") or args.get("kind") or name
            label = args.get("title") or kind.capitalize()
            return self.quote(f"**{label}:** {body.strip()}")
        if name in _RAW_SHORTCODES:
            return self.save(f"\n\n{self.restore(body).strip()}\n\n")
        return self.keep(match.group(0), inline=False)

    def zola_inline(self, match: re.Match[str]) -> str:
        name, args = match.group(1), _zola_args(match.group(2))
        if name == "youtube" and args.get("id"):
            return f"\n\nhttps://www.youtube.com/watch?v={args['id']}\n\n"
        if name == "vimeo" and args.get("id"):
            return f"\n\nhttps://vimeo.com/{args['id']}\n\n"
        if name == "gist" and args.get("url"):
            return f"\n\n{args['url']}\n\n"
        src = args.get("src") or args.get("light_src") or args.get("url")
        if not src and args.get("path"):  # Zola's path=: from the content folder
            src = "/" + args["path"].lstrip("/") if "://" not in args["path"] else args["path"]
        if src and src.lower().rsplit("?", 1)[0].endswith(_IMAGE_SUFFIXES):  # theme image codes
            alt = args.get("alt") or args.get("caption") or ""
            caption = args.get("caption") or args.get("title") or ""
            title = f' "{caption}"' if caption else ""
            return f"\n\n![{alt}](<{src}>{title})\n\n"
        if name in _ADMONITIONS and args.get("text"):
            kind = args.get("type") or name
            return self.quote(f"**{args.get('title') or kind.capitalize()}:** {args['text']}")
        return self.keep(match.group(0), inline=not _alone_on_its_line(match))


_ADMONITION = re.compile(r'^(!!!|\?\?\?\+?)[ \t]*([\w-]+)(?:[ \t]+"([^"]*)")?[ \t]*$')
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif")
_RAW_SHORTCODES = {"rawhtml", "raw", "html", "safehtml", "unsafe", "rawHTML"}
_ADMONITION_TYPES = {
    "note", "info", "tip", "hint", "warning", "caution", "danger", "important", "success",
    "error", "primary", "secondary", "notice", "alert", "callout", "admonition",
}  # fmt: skip
_ADMONITIONS = _ADMONITION_TYPES | {"notice", "alert", "callout", "hint", "admonition", "box"}
"""Paired shortcodes of Hugo docs themes (Docsy ``alert``, hugo-book ``hint``,
LoveIt ``admonition``, Learn ``notice``...): a labelled quote."""


_KRAMDOWN_TOC = re.compile(r"^[ \t]*(?:[-*+]|1\.)[ \t]+.*\n[ \t]*\{:[ \t]*toc[ \t]*\}[ \t]*$", re.M)
_KRAMDOWN_LINE = re.compile(r"^[ \t]*\{:[^}\n]*\}[ \t]*$\n?", re.M)
_KRAMDOWN_SPAN = re.compile(r"\{:[ \t]*(?:[.#]|[\w-]+=)[^}\n]*\}")


def _strip_kramdown(text: str) -> str:
    """Drop kramdown's attribute lists (``{: .note}``, ``{:toc}`` with its list item).

    They only style the old site (classes, ids, the generated table of
    contents); left in, they would show as text.
    """
    text = _KRAMDOWN_TOC.sub("", text)
    text = _KRAMDOWN_LINE.sub("", text)
    return _KRAMDOWN_SPAN.sub("", text)


def _alone_on_its_line(match: re.Match[str]) -> bool:
    text = match.string
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    end = len(text) if end < 0 else end
    return not text[start : match.start()].strip() and not text[match.end() : end].strip()


def _unescape_shortcodes(text: str) -> str:
    return _ESCAPED_SHORTCODE.sub(lambda m: f"{{{{{m.group(1)} {m.group(2)} {m.group(3)}}}}}", text)


def _split_args(text: str) -> list[tuple[str, str]]:
    """Shortcode/Liquid arguments: ``[("", positional), ("key", value)...]``."""
    try:
        words = shlex.split(text.replace("\n", " "), posix=True)
    except ValueError:
        words = text.split()
    args = []
    for word in words:
        key, eq, value = word.partition("=")
        if eq and re.fullmatch(r"[\w-]+", key):
            args.append((key, value))
        else:
            args.append(("", word))
    return args


def _zola_args(text: str) -> dict[str, str]:
    return {k: v for k, v in re.findall(r"(\w+)\s*=\s*[\"']([^\"']*)[\"']", text)}


def _lookup(scope: Any, dotted: str) -> Any:
    value = scope
    for part in re.split(r"\.|\[[\"']?|[\"']?\]", dotted):
        if not part:
            continue
        if isinstance(value, dict):
            value = value.get(part, value.get(part.lower()))
        else:
            return None
    if isinstance(value, (dict, list)):
        return None
    return value


def _guess_config_language(code: str) -> str:
    if code.lstrip().startswith("{"):
        return "json"
    if re.search(r"^\s*(?:\[[^\]]+\]\s*$|[\w.\"'-]+\s*=)", code, re.M):
        return "toml"
    return "yaml"


def _label(text: str) -> str:
    """A link label as the reference and its definition are matched: lower case, inner
    whitespace collapsed."""
    return " ".join(text.split()).lower()
