"""Hostile comments never reach a built page unescaped.

Each vector is posted through the real comments function over HTTP, stored by
a real CMS, approved as a moderator does, and built into the static site by a
real ``jamtail build``. The built article is then parsed: no element or
attribute a vector carries survives, and the comments themselves are there
(their text shown as text), so the test would see a page that drops them all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
import requests

from functions.comment_markup import ALLOWED_TAGS
from tests.cms_process import REPO
from tests.comments_helpers import (
    approve_all,
    article_ids,
    comments_cms,
    config,
    old_token,
    serve_function,
)

pytestmark = pytest.mark.slow
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

VECTORS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert('x')>",
    "<svg onload=alert('x')>",
    "<svg><script>alert('x')</script></svg>",
    "<iframe src=\"javascript:alert('x')\"></iframe>",
    "[click](javascript:alert('x'))",
    "[click](JaVaScRiPt:alert('x'))",
    "[click](&#106;avascript:alert('x'))",
    "[click](&#x6A;&#x61;vascript:alert('x'))",
    "[click](java%73cript:alert('x'))",
    "[click](%6A%61vascript:alert('x'))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox('x'))",
    "[click](<javascript:alert('x')>)",
    "![pic](javascript:alert('x'))",
    "![pic](https://example.org/x.png\"onerror=\"alert('x'))",
    "[x](https://example.org/\" onmouseover=\"alert('x'))",
    "<a href=\"javascript:alert('x')\">x</a>",
    "<a href=\"  javascript:alert('x')\">x</a>",
    "<a href=\"&#x6A;avascript:alert('x')\">x</a>",
    "<p style=\"background:url(javascript:alert('x'))\">styled</p>",
    "<div style=\"width: expression(alert('x'))\">x</div>",
    "<style>body{background:url(\"javascript:alert('x')\")}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('x')>",
    "<scr<script>ipt>alert('x')</script>",
    "&lt;script&gt;alert('x')&lt;/script&gt;",
    "<object data=\"javascript:alert('x')\"></object>",
    "<embed src=\"data:text/html,<script>alert('x')</script>\">",
    "<form action=\"javascript:alert('x')\"><button>go</button></form>",
    "<details open ontoggle=alert('x')>",
    "<img src=x onerror=alert('x')",
    "<!--><script>alert('x')</script>-->",
    "<base href=\"javascript:alert('x')//\">",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'x\')">',
    "<input autofocus onfocus=alert('x')>",
    "`<script>`alert('x')`</script>`",
    "```\n</code></pre><script>alert('x')</script>\n```",
    "> <script>alert('x')</script>\n> quoted",
    "- <img src=x onerror=alert('x')>\n- item",
    "*<svg/onload=alert('x')>*",
]
BAD_TAGS = {"script", "iframe", "svg", "math", "object", "embed", "style", "base", "img", "form"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
CONTROL = "[ok](https://example.org/ok) and **bold**"


class Page(HTMLParser):
    """Every start tag with its attributes, and which of them sit in a comment's body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.in_comment: list[tuple[str, dict[str, str]]] = []
        self.depth = 0  # > 0 inside <div class="comment-body">
        self.comment_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        if self.depth:
            self.in_comment.append((tag, values))
            if tag not in ("br",):
                self.depth += 1
        elif tag == "div" and "comment-body" in values.get("class", "").split():
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag != "br":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.comment_text.append(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``(parsed article, [comment ids])`` after posting, approving and building."""
    root = tmp_path_factory.mktemp("comments-xss")
    cms = comments_cms(root / "cms", JAMTAIL_COMMENTS_RATE_LIMIT="1000")
    server, url = serve_function(root / "fn-site", config(cms))
    try:
        article = article_ids(cms)["hello-jamtail"]
        ids = []
        for n, body in enumerate([*VECTORS, CONTROL]):
            answer = requests.post(
                url + "/api/comments",
                json={
                    "page": article,
                    "author_name": f"<b onmouseover=alert(1)>xss-{n:02}</b>",
                    "body": body,
                    "form_token": old_token(),
                },
                timeout=10,
            )
            assert answer.status_code == 202, (body, answer.text)
            ids.append(answer.json()["id"])
        approve_all(cms)
        out = root / "build"
        result = subprocess.run(
            [sys.executable, "-m", "jamtail.cli", "build", "--api", cms.api_url,
             "--out", str(out), "--site", str(REPO / "site"), "--cache", str(root / "cache"),
             "--jobs", "1"],
            cwd=REPO, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        page = Page()
        html_file = out / "blog" / "hello-jamtail" / "index.html"
        page.feed(html_file.read_text())
        page.file = html_file
        yield page, ids
    finally:
        server.shutdown()
        server.server_close()
        cms.stop()


def test_there_are_at_least_twenty_vectors():
    assert len(VECTORS) >= 20


def test_every_approved_comment_is_in_the_built_page(built):
    page, ids = built
    anchors = {attrs.get("id") for _, attrs in page.tags}
    assert {f"comment-{i}" for i in ids} <= anchors
    text = "".join(page.comment_text)
    assert "alert('x')" in text, "the hostile text is shown, as text"


def test_no_tag_a_vector_carries_survives_in_a_comment(built):
    page, _ = built
    tags = {tag for tag, _ in page.in_comment}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    assert not tags & BAD_TAGS


def test_comment_links_keep_only_absolute_web_urls_and_the_ugc_rel(built):
    page, _ = built
    links = [attrs for tag, attrs in page.in_comment if tag == "a"]
    assert {"href": "https://example.org/ok", "rel": "nofollow ugc noopener"} in links
    for attrs in links:
        assert set(attrs) <= {"href", "rel"}, attrs
        assert attrs["rel"] == "nofollow ugc noopener"
        href = attrs.get("href", "")
        assert not href or href.startswith(("http://", "https://", "mailto:")), href
    for tag, attrs in page.in_comment:
        assert tag == "a" or not attrs, (tag, attrs)


def test_nothing_anywhere_in_the_page_runs_script_from_a_comment(built):
    page, _ = built
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name, value in attrs.items():
            lowered = "".join(value.split()).lower()
            assert not lowered.startswith(BAD_SCHEMES), (tag, name, value)
            assert "javascript:" not in lowered and "expression(" not in lowered, (tag, value)
        if tag == "script":
            assert attrs.get("type") == "application/ld+json" or attrs.get("src", "").startswith(
                "/static/js/"
            ), attrs
        if tag == "form":  # the site's own forms post to its functions
            assert attrs.get("action", "").startswith("/api/"), attrs
        assert tag not in BAD_TAGS - {"script", "img", "form"}, (tag, attrs)


def test_the_article_with_every_vector_is_still_valid_html5(built):
    if not (shutil.which("java") and VNU.exists()):
        pytest.skip("the Nu HTML checker needs java and node_modules/vnu-jar (make test)")
    page, _ = built
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", str(page.file)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [f"{m.get('lastLine')}: {m['message']}" for m in messages] == []
