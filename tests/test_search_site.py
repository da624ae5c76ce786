"""Search on the demo site as readers use it: built from a real CMS, served, driven by Chromium.

One CMS process imports the demo content (docs/ and demo/blog/) as ``make
demo`` does; the site is built over HTTP and served by ``jamtail serve``'s
server with the search function mounted at ``/api/search``, as the CLI
mounts it. Debian's Chromium (through Playwright) searches with JavaScript
on and off; axe checks accessibility and the Nu HTML checker validates the
search pages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from functions import search as search_function
from functions.devserver import make_server
from jamtail.build.pipeline import BuildConfig, build
from jamtail.search.index import read_documents
from jamtail.search.shards import INDEX_PATH
from tests.cms_process import CMSProcess

REPO = Path(__file__).resolve().parents[1]
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cms = CMSProcess(tmp_path_factory.mktemp("search-cms"))
    cms.manage("migrate", "--no-input", "-v0")
    cms.manage("import_markdown", "docs", "--parent", "/", "--slug", "docs")
    cms.manage("import_markdown", "demo/blog", "--parent", "/", "--slug", "blog")
    cms.start()
    out = tmp_path_factory.mktemp("search-site") / "build"
    build(BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache"))
    routes = {"/api/search": search_function.make_handler(out / INDEX_PATH, REPO / "site")}
    server = make_server(out, port=0, routes=routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"out": out, "url": f"http://127.0.0.1:{server.server_address[1]}", "cms": cms}
    server.shutdown()
    server.server_close()
    cms.stop()


def indexed(out: Path) -> list[dict]:
    """Every document stored in the built index, shard by shard."""
    folder = (out / INDEX_PATH).parent
    docs = []
    for entry in json.loads((out / INDEX_PATH).read_bytes())["shards"]:
        files = {name: folder / name for name in entry["files"]}
        docs += read_documents(files, entry["pages"])
    return docs


def test_the_build_writes_the_search_page_and_an_index_of_every_published_page(demo):
    out = demo["out"]
    assert (out / "search" / "index.html").is_file()
    sitemap = ET.parse(out / "sitemap.xml").getroot()
    published = {loc.text for loc in sitemap.iter(f"{SITEMAP}loc")}
    urls = {doc["url"] for doc in indexed(out)}
    assert {u.split("//", 1)[-1].split("/", 1)[-1] for u in published} == {
        u.lstrip("/") for u in urls
    }


def test_the_draft_post_is_not_in_the_index(demo):
    titles = [doc["title"] for doc in indexed(demo["out"])]
    assert titles and not [t for t in titles if t.startswith("Draft:")]


def test_the_search_page_offers_the_sites_sections_and_tags(demo):
    html = (demo["out"] / "search" / "index.html").read_text()
    assert '<option value="/blog/">Blog</option>' in html
    assert '<option value="/docs/">' in html
    assert '<select id="search-tag" name="tag">' in html and '<option value="deploy">' in html


def test_a_second_full_build_writes_the_same_index_bytes(demo, tmp_path):
    again = tmp_path / "build"
    build(BuildConfig(demo["cms"].api_url, again, REPO / "site", tmp_path / "cache"))

    def files(out: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (out / INDEX_PATH).parent.iterdir()}

    assert files(again) == files(demo["out"]) and len(files(again)) >= 2


@pytest.mark.slow
def test_the_search_pages_are_valid_html5(demo, tmp_path):
    if not (shutil.which("java") and VNU.exists()):
        pytest.skip("the Nu HTML checker needs java and node_modules/vnu-jar (make test)")
    import requests

    files = [demo["out"] / "search" / "index.html", demo["out"] / "index.html"]
    for name, query in [("results", "q=preview"), ("paged", "q=the&page=2"), ("bad", "page=x")]:
        path = tmp_path / f"{name}.html"
        response = requests.get(f"{demo['url']}/api/search?{query}&format=html", timeout=30)
        path.write_text(response.text)
        files.append(path)
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [f"{m['url']}:{m.get('lastLine')}: {m['message']}" for m in messages] == []


@pytest.mark.browser
def test_with_javascript_results_appear_as_the_reader_types(demo, page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(demo["url"] + "/")
    page.get_by_role("search", name="Site").get_by_role("searchbox").fill("preview")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=preview")
    results = page.locator("[data-search-results]")
    results.locator(".search-hit").first.wait_for()
    assert "results for “preview”" in results.locator("h2").inner_text()
    first = results.locator(".search-hit h3 a").first.get_attribute("href")
    assert first and first.startswith("/")

    box = page.get_by_role("searchbox", name="Words to find")
    box.fill("")
    box.press_sequentially("deplo", delay=40)  # no Enter: results follow the typing
    page.wait_for_selector('[data-search-ready="deplo"]')
    assert page.url.endswith("/search/?q=deplo")
    assert results.locator("mark").count() > 0
    assert "results for “deplo”" in page.locator("[data-search-status]").inner_text()
    assert errors == []


@pytest.mark.browser
def test_with_javascript_the_section_filter_narrows_the_results(demo, page):
    page.goto(demo["url"] + "/search/?q=build")
    page.wait_for_selector('[data-search-ready="build"]')
    page.get_by_label("Section").select_option("/blog/")
    page.wait_for_selector('[data-search-params="q=build&section=%2Fblog%2F"]')
    assert page.url.endswith("/search/?q=build&section=%2Fblog%2F")
    hrefs = page.locator(".search-hit h3 a").evaluate_all("links => links.map(a => a.pathname)")
    assert hrefs and all(h.startswith("/blog/") for h in hrefs)


@pytest.mark.browser
def test_without_javascript_the_form_shows_the_html_results_page(demo, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(demo["url"] + "/blog/")
        page.get_by_role("search", name="Site").get_by_role("searchbox").fill("preview")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/api/search?q=preview" in page.url
        assert page.locator("h1").inner_text() == "Search"
        assert page.get_by_role("searchbox", name="Words to find").input_value() == "preview"
        hits = page.locator(".search-hit h3 a")
        assert hits.count() > 0
        with page.expect_navigation():
            hits.first.click()
        assert "/api/search" not in page.url and page.locator("h1").count() == 1
    finally:
        context.close()


@pytest.mark.browser
def test_without_javascript_the_search_page_form_submits_with_its_filters(demo, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(demo["url"] + "/search/")
        page.get_by_label("Words to find").fill("build")
        page.get_by_label("Section").select_option("/docs/")
        with page.expect_navigation():
            page.get_by_role("button", name="Search", exact=True).last.click()
        assert "section=%2Fdocs%2F" in page.url
        hrefs = page.locator(".search-hit h3 a").evaluate_all("links => links.map(a => a.pathname)")
        assert hrefs and all(h.startswith("/docs/") for h in hrefs)
    finally:
        context.close()


@pytest.mark.browser
def test_search_pages_have_no_serious_accessibility_violations(demo, page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for path, ready in [
        ("/search/", None),
        ("/search/?q=preview", '[data-search-ready="preview"]'),
        ("/api/search?q=the&format=html", None),
    ]:
        page.goto(demo["url"] + path)
        if ready:
            page.wait_for_selector(ready)
        violations = axe.run(page).response["violations"]
        serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], (path, serious)
