"""Every kind of draft previews with the site's templates, in a real CMS over real HTTP.

The CMS runs in this process behind pytest-django's ``live_server`` (real
HTTP on 127.0.0.1, the test database); :func:`jamtail.build.preview.render_preview`
reads it exactly as the ``/preview/`` function does. The Preview button's
part (storing the edited page under a token) is Wagtail's own
``create_page_preview``, as in tests/test_preview_api.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import requests

from cms.content.models import ArticlePage, SectionPage, StandardPage
from jamtail.build.preview import render_preview
from tests.cms_process import free_port
from tests.factories import make_image

SITE = Path(__file__).resolve().parents[1] / "site"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cms(live_server, site):
    return {"api": f"{live_server.url}/api/v2/", **site}


def token_of(page, **changes) -> str:
    """What Wagtail's Preview button does for a saved page: the edited latest revision."""
    page = page.get_latest_revision_as_object()
    for name, value in changes.items():
        setattr(page, name, value)
    return page.create_page_preview().token


def token_of_new(parent, page) -> str:
    """What the Preview button of the 'add page' form does: a tree position, no row."""
    page.depth = parent.depth + 1
    last = parent.get_last_child()
    page.path = last._inc_path() if last else page._get_path(parent.path, page.depth, 1)
    page.set_url_path(parent)
    return page.create_page_preview().token


def preview(cms, page_type: str, token: str):
    status, headers, body = render_preview(
        cms["api"], {"content_type": f"content.{page_type}", "token": token}, SITE
    )
    assert headers["Content-Type"].startswith("text/html")
    return status, body


def h1(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)[1].strip()


def nav(html: str) -> list[str]:
    block = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    return re.findall(r">([^<]+)</a>", block[1]) if block else []


def assert_draft_page(html: str) -> None:
    assert "Draft preview" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'class="site-header"' in html


def test_a_never_published_article_previews_in_its_published_section(cms):
    status, html = preview(cms, "articlepage", token_of(cms["draft"]))
    assert status == 200, html
    assert h1(html) == "Secret Draft Post"
    assert_draft_page(html)
    assert nav(html) == ["Blog", "About"]
    assert 'href="/blog/"' in html  # its section, published


def test_a_child_of_an_unpublished_section_previews(cms):
    drafts = SectionPage(title="Drafts corner", slug="drafts-corner", live=False)
    cms["home"].add_child(instance=drafts)
    drafts.save_revision()
    child = ArticlePage(title="Deep draft", slug="deep", date=dt.date(2026, 6, 1), live=False)
    drafts.add_child(instance=child)
    child.save_revision()
    status, html = preview(cms, "articlepage", token_of(child))
    assert status == 200, html
    assert h1(html) == "Deep draft"
    assert "Drafts corner" not in nav(html)  # not published: not in the navigation
    # The section itself, never published, previews too, listing nothing published.
    status, html = preview(cms, "sectionpage", token_of(drafts))
    assert status == 200, html
    assert h1(html) == "Drafts corner"


def test_a_new_page_not_yet_saved_previews_under_its_parent(cms):
    page = ArticlePage(title="Not saved", slug="not-saved", date=dt.date(2026, 7, 1))
    status, html = preview(cms, "articlepage", token_of_new(cms["blog"], page))
    assert status == 200, html
    assert h1(html) == "Not saved"
    assert_draft_page(html)
    page = StandardPage(title="New about", slug="new-about", summary="Fresh")
    status, html = preview(cms, "standardpage", token_of_new(cms["home"], page))
    assert status == 200, html
    assert h1(html) == "New about"


def test_a_new_revision_of_a_live_page_shows_the_edits_among_its_neighbours(cms):
    hello = cms["posts"][0]
    body = [("paragraph", "<p>Freshly drafted words.</p>")]
    status, html = preview(cms, "articlepage", token_of(hello, title="Hello, edited", body=body))
    assert status == 200, html
    assert h1(html) == "Hello, edited"
    assert "Freshly drafted words." in html
    assert "Second post" in html  # the published neighbour (previous/next)
    assert requests.get(cms["api"] + f"pages/{hello.id}/", timeout=10).json()["title"] == (
        "Hello Jamtail"
    )


def test_a_page_moved_since_its_last_publish_previews_at_its_new_place(cms):
    news = SectionPage(title="News", slug="news")
    cms["home"].add_child(instance=news)
    news.save_revision().publish()
    hello = cms["posts"][0]
    hello.move(news, pos="last-child")
    hello.refresh_from_db()
    status, html = preview(cms, "articlepage", token_of(hello, title="Moved draft"))
    assert status == 200, html
    assert h1(html) == "Moved draft"
    assert 'href="/news/"' in html


@pytest.mark.parametrize("kind", ["home", "blog", "about"])
def test_every_page_type_previews_with_its_own_template(cms, kind):
    page = cms[kind]
    model = type(page).__name__.lower()
    status, html = preview(cms, model, token_of(page, title=f"Draft of {page.title}"))
    assert status == 200, html
    assert_draft_page(html)
    if kind == "home":
        assert "Hello Jamtail" in html  # the recent articles, published
    else:
        assert h1(html) == f"Draft of {page.title}"
    if kind == "blog":
        assert "Third post" in html  # the listing of its published articles


def test_images_and_every_block_render_and_load_from_the_cms(cms):
    new_image = make_image("Drafted", color=(10, 120, 200))
    hello = cms["posts"][0]
    body = [
        *hello.body.raw_data,
        {"type": "image", "value": {"image": new_image.id, "alt": "A blue square", "caption": ""}},
    ]
    status, html = preview(cms, "articlepage", token_of(hello, hero_image=new_image, body=body))
    assert status == 200, html
    for text in ("First steps", "Simple is better.", "Tim Peters", "A note.", "<details>"):
        assert text in html, text
    assert 'alt="A blue square"' in html and 'alt="An orange sunset"' in html
    sources = set(re.findall(r'src="(http[^"]+/media/[^"]+)"', html))
    assert len(sources) >= 2
    for src in sources:
        assert requests.get(src, timeout=10).status_code == 200, src


def test_a_refused_link_is_a_readable_page_in_the_site_look(cms):
    status, html = preview(cms, "articlepage", "id=1:forged:signature")
    assert status == 403
    assert "This preview cannot be shown" in html
    assert "Click Preview in the Wagtail admin again" in html
    assert 'class="site-header"' in html and "Test Site" in html
    assert '"code"' not in html


def test_a_cms_that_cannot_be_reached_is_a_readable_page_not_json():
    api = f"http://127.0.0.1:{free_port()}/api/v2/"
    status, headers, html = render_preview(api, {"content_type": "x", "token": "t"}, SITE)
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert "The CMS could not be reached." in html
    assert "secret" not in html


def test_a_draft_previews_even_when_the_home_page_was_never_published(cms):
    home = cms["home"]
    home.unpublish()
    status, html = preview(cms, "standardpage", token_of(cms["about"], title="About, drafted"))
    assert status == 200, html
    assert h1(html) == "About, drafted"
    assert_draft_page(html)
    status, html = preview(cms, "homepage", token_of(home, title="Home, drafted"))
    assert status == 200, html
