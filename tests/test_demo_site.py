"""The demo content (docs/ and demo/blog/) built and served, checked as a reader sees it.

One CMS process imports the demo content exactly as ``make demo`` does; the
site is built over HTTP and served by ``jamtail serve``'s server. A real
Chromium (Debian's, through Playwright) reads it; axe checks accessibility and
the Nu HTML checker validates every page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from functions.devserver import make_server
from jamtail.build.pipeline import BuildConfig, build
from jamtail.write.manifest import read_manifest
from tests.cms_process import CMSProcess
from tests.linkcheck import broken_links

REPO = Path(__file__).resolve().parents[1]
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cms = CMSProcess(tmp_path_factory.mktemp("demo-cms"))
    cms.manage("migrate", "--no-input", "-v0")
    cms.manage("import_markdown", "docs", "--parent", "/", "--slug", "docs")
    cms.manage("import_markdown", "demo/blog", "--parent", "/", "--slug", "blog")
    # Two entries per listing page, so the demo blog paginates.
    cms.manage(
        "shell",
        "-c",
        "from cms.content.models import SectionPage; "
        "SectionPage.objects.filter(slug='blog').update(per_page=2)",
    )
    cms.start()
    out = tmp_path_factory.mktemp("demo-site") / "build"
    build(BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache"))
    server = make_server(out, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"out": out, "url": f"http://127.0.0.1:{server.server_address[1]}", "cms": cms}
    server.shutdown()
    server.server_close()
    cms.stop()


def test_the_demo_site_has_no_broken_internal_link(demo):
    assert broken_links(demo["out"]) == []
    # The build's own link check, which also checks fragments, agrees.
    assert read_manifest(demo["out"]).broken_links == []


def test_the_draft_post_is_nowhere_in_the_build(demo):
    for path in demo["out"].rglob("*"):
        if path.is_file() and path.suffix in {".html", ".xml", ".txt", ""}:
            assert "Draft:" not in path.read_text(errors="ignore"), path


@pytest.mark.slow
def test_every_built_page_is_valid_html5(demo):
    if not (shutil.which("java") and VNU.exists()):
        pytest.skip(
            "the Nu HTML checker needs java and node_modules/vnu-jar (make test installs it)"
        )
    pages = [str(p) for p in sorted(demo["out"].rglob("*.html"))]
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{m['url'].rsplit('/build/', 1)[-1]}:{m.get('lastLine')}: {m['message']}" for m in messages
    ]
    assert errors == [], errors[:10]


@pytest.mark.browser
def test_a_reader_follows_a_link_to_an_article_and_sees_highlighted_code(demo, page):
    page.goto(demo["url"] + "/")
    page.get_by_role("link", name="Code blocks", exact=False).first.click()
    page.wait_for_load_state()
    assert "/blog/" in page.url
    title = page.locator("h1").inner_text()
    assert "code" in title.lower()
    assert page.title().startswith(title)
    token = page.locator("div.highlight pre code span").first
    assert token.is_visible()
    color = token.evaluate("el => getComputedStyle(el).color")
    plain = page.locator("main p").first.evaluate("el => getComputedStyle(el).color")
    assert color != plain  # highlighted, not plain text


@pytest.mark.browser
def test_a_reader_pages_through_the_blog_listing(demo, page):
    page.goto(demo["url"] + "/blog/")
    page.get_by_role("navigation", name="Pagination").get_by_role("link", name="2").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/blog/page/2/")
    assert page.locator("main article, main li h2, main li h3").count() > 0
    previous = page.locator('a[rel="prev"]')
    assert previous.count() >= 1


@pytest.mark.browser
def test_pages_have_no_serious_accessibility_violations(demo, page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for path in ["/", "/blog/", "/blog/hello-jamtail/", "/docs/", "/tags/", "/nope/"]:
        page.goto(demo["url"] + path)
        results = axe.run(page)
        serious = [
            v["id"]
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (path, serious)


@pytest.mark.browser
def test_the_404_page_is_served_for_missing_paths(demo, page):
    response = page.goto(demo["url"] + "/no/such/page/")
    assert response.status == 404
    assert "not found" in page.locator("h1").inner_text().lower()
    assert response.headers["x-content-type-options"] == "nosniff"
