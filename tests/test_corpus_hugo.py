"""Hugo's documentation (992 Markdown files, shortcodes, deep sections) through the pipeline.

Import with ``import_markdown`` into a fresh CMS process, build over HTTP,
then judge the built site with the yardsticks of ``../shared/tools``: every
source title found, no template tag leaked outside code, no broken internal
link the importer caused (links broken in the source are in the report), and
every old URL redirecting to a page that exists.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from pathlib import Path

import pytest

from jamtail.build.pipeline import BuildConfig, build
from tests.cms_process import CMSProcess
from tests.corpora import corpora_dir, missing_message
from tests.linkcheck import broken_links, missing_ids

pytestmark = [pytest.mark.corpus, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]
LEAK = re.compile(r"\{%-?\s*\w+|\{\{-?\s*site\.|\{\{[<%]")
CODE = re.compile(r"<(pre|code|script|textarea)\b.*?</\1>", re.DOTALL)


@pytest.fixture(scope="module")
def hugo_docs() -> Path:
    path = corpora_dir() / "hugo-docs" / "en"
    if not path.is_dir():
        pytest.skip(missing_message(path))
    return path


# The corpus's hugo.toml is the first lines of gohugo.io's configuration. Its pages link
# to definition terms by id (/configuration/all/#cachedir), which Hugo gives terms only
# with this setting, so the site's configuration must have it.
TERM_IDS = "\n[markup.goldmark.parser]\nautoDefinitionTermID = true\n"


@pytest.fixture(scope="module")
def imported(hugo_docs, tmp_path_factory):
    work = tmp_path_factory.mktemp("hugo-cms")
    config = work / "hugo.toml"
    config.write_text((hugo_docs.parent / "hugo.toml").read_text() + TERM_IDS)
    cms = CMSProcess(work)
    cms.manage("migrate", "--no-input", "-v0")
    report_file = work / "report.json"
    result = cms.manage(
        "import_markdown",
        str(hugo_docs),
        "--slug",
        "docs",
        "--config",
        str(config),
        "--report",
        str(report_file),
    )
    cms.start()
    out = tmp_path_factory.mktemp("hugo-site") / "build"
    built = build(BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache"))
    report = json.loads(report_file.read_text())
    yield {"result": result, "report": report, "out": out, "build": built}
    cms.stop()


def built_pages(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_text(encoding="utf-8", errors="replace")
        for p in out.rglob("*.html")
    }


def norm(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\s+", " ", re.sub(r"[`*_]", "", text)).strip().lower()


def test_every_content_file_becomes_a_page_or_an_included_snippet(imported):
    report = imported["report"]
    assert report["failed"] == []
    content = [f for f in report["files"] if f["content"]]
    assert content and all(f["outcome"] == "page" for f in content)
    resources = [f for f in report["files"] if f["path"].endswith(".md") and not f["content"]]
    assert all(f["reason"].startswith("headless") for f in resources)


def test_every_source_title_is_in_the_build(imported, hugo_docs):
    seen = set()
    for text in built_pages(imported["out"]).values():
        seen |= {norm(m.group(2)) for m in re.finditer(r"<(h1|title)[^>]*>(.*?)</\1>", text, re.S)}
    titles = []
    for path in hugo_docs.rglob("*.md"):
        match = re.match(r"^---\s*\n(.*?)\n---", path.read_text(encoding="utf-8"), re.S)
        title = re.search(r"^title:\s*(.+)$", match.group(1), re.M) if match else None
        if title and path.name != "_index.md" and not expired(match.group(1)):
            titles.append(norm(title.group(1).strip().strip("'\"")))
    missing = [t for t in titles if not any(s == t or s.startswith(t) for s in seen)]
    assert missing == []


def expired(front_matter: str) -> bool:
    """Whether the page's ``expiryDate`` has passed: Hugo does not publish it, nor do we."""
    found = re.search(r"^expiryDate:\s*(\d{4}-\d{2}-\d{2})", front_matter, re.M)
    return bool(found) and dt.date.fromisoformat(found.group(1)) <= dt.date.today()


def test_expired_pages_are_drafts_with_a_warning(imported, hugo_docs):
    expired_files = [
        p.relative_to(hugo_docs).as_posix()
        for p in hugo_docs.rglob("*.md")
        if (m := re.match(r"^---\s*\n(.*?)\n---", p.read_text(encoding="utf-8"), re.S))
        and expired(m.group(1))
    ]
    warned = [w for w in imported["report"]["warnings"] if "expiryDate has passed" in w]
    assert len(warned) == len(expired_files)
    assert all(any(w.startswith(f) for w in warned) for f in expired_files)


def test_no_template_tag_leaks_outside_code(imported):
    leaked = {
        page: LEAK.search(CODE.sub("", text).replace("&lt;", "<")).group(0)
        for page, text in built_pages(imported["out"]).items()
        if LEAK.search(CODE.sub("", text).replace("&lt;", "<"))
    }
    assert leaked == {}


def test_no_broken_internal_link_but_those_broken_in_the_source(imported):
    in_source = {line.split(": ", 1)[1] for line in imported["report"]["source_broken_links"]}
    caused = [(page, link) for page, link in broken_links(imported["out"]) if link not in in_source]
    assert caused == [], f"{len(caused)} importer-caused broken links, e.g. {caused[:10]}"


def test_every_old_url_redirects_to_a_built_page(imported):
    out = imported["out"]
    rules = [line.split() for line in (out / "_redirects").read_text().splitlines()]
    rules = [r for r in rules if len(r) >= 2 and not r[0].startswith("#")]
    assert len(rules) >= imported["report"]["counts"]["redirects"] > 900
    for old, new, *_ in rules:
        target = out / new.strip("/") / "index.html" if new.endswith("/") else out / new.lstrip("/")
        assert target.is_file() or os.path.isfile(str(target) + "/index.html"), (old, new)


def test_links_to_headings_and_definition_terms_land_on_them(imported):
    """Hugo's docs link to headings and terms by the ids Hugo gives them (GitHub style,
    from the Markdown source): nearly every such link into a built page finds its id
    (one in a hundred may name an id its own page never had)."""
    out = imported["out"]
    links = re.findall(r'href="(/docs/[^"#]*)#([^"]+)"', "".join(built_pages(out).values()))
    into_pages = [(p, f) for p, f in links if (out / p.lstrip("/") / "index.html").is_file()]
    broken = missing_ids(out, imported["build"].broken_links)
    assert len(into_pages) > 100, "the docs link to headings and terms of other pages"
    assert len(broken) <= len(into_pages) / 100, broken[:10]
    all_settings = (out / "docs" / "configuration" / "all" / "index.html").read_text()
    assert '<dt id="cachedir"><code>cacheDir</code></dt>' in all_settings
