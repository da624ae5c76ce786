"""Page URLs point at the static site: the admin's links, the CMS host, the builder's warning.

The site's address is ``SiteSettings.base_url`` (``https://example.org`` in
``tests/factories.demo_site``). The admin is driven through Django's test
client, logged in as a superuser; the Chromium check of "View live" is in
tests/test_preview_browser.py.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth.models import User
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from cms.content.models import SiteSettings
from jamtail.outputs.robots import build_robots
from jamtail.outputs.sitemap import build_sitemap
from jamtail.plan.planner import SitePlan

pytestmark = pytest.mark.django_db

LIVE = "https://example.org/blog/hello-jamtail/"


@pytest.fixture
def admin(client, site):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


def hrefs(response) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', response.content.decode()))


def test_a_page_url_is_its_address_on_the_site(site):
    hello = site["posts"][0]
    assert hello.url == LIVE
    assert hello.full_url == LIVE
    assert hello.get_url_parts()[2] == "/blog/hello-jamtail/"


def test_without_a_base_url_wagtail_s_own_urls_are_kept(site):
    settings = SiteSettings.for_site(site["home"].get_site())
    settings.base_url = ""
    settings.save()
    hello = type(site["posts"][0]).objects.get(pk=site["posts"][0].pk)
    assert hello.url == "/blog/hello-jamtail/"


def test_every_admin_link_to_a_live_page_is_on_the_site(admin, site):
    hello = site["posts"][0]
    assert LIVE in hrefs(admin.get(f"/admin/pages/{hello.id}/edit/"))  # "Live" status, View live
    assert LIVE in hrefs(admin.get(f"/admin/pages/{site['blog'].id}/"))  # the page explorer
    assert LIVE in hrefs(admin.get("/admin/pages/search/", {"q": "Hello"}))  # search results
    editor = hrefs(admin.get(f"/admin/pages/{hello.id}/edit/"))
    assert not any(h.startswith("/blog/") for h in editor)  # nothing relative to the CMS host


def test_the_publish_message_links_to_the_site(admin, site):
    hello = site["posts"][0]
    data = nested_form_data(
        {
            "title": "Hello again",
            "slug": "hello-jamtail",
            "date": "2026-03-01",
            "article_authors": inline_formset([]),
            "comments": inline_formset([]),
            "tags": "",
            "summary": "",
            "body": streamfield([]),
            "action-publish": "action-publish",
        }
    )
    response = admin.post(f"/admin/pages/{hello.id}/edit/", data, follow=True)
    [message] = [m for m in response.context["messages"] if "published" in str(m.message)]
    assert f'href="{LIVE}"' in message.message  # its "View live" button


def test_a_public_url_on_the_cms_redirects_to_the_site(client, site):
    response = client.get("/blog/hello-jamtail/?utm=x")
    assert response.status_code == 302
    assert response["Location"] == LIVE + "?utm=x"
    assert client.get("/")["Location"] == "https://example.org/"


def test_without_a_base_url_the_cms_still_renders_no_page(client, site):
    settings = SiteSettings.for_site(site["home"].get_site())
    settings.base_url = ""
    settings.save()
    response = client.get("/blog/hello-jamtail/")
    assert response.status_code == 404
    assert b"Base URL" in response.content


def _plan(base_url: str) -> SitePlan:
    site = {"base_url": base_url, "name": "S"}
    return SitePlan(site=site, outputs=[], pages=[{"url": "/", "type": "HomePage"}], feeds=[])


def test_a_build_without_a_base_url_warns_and_writes_no_relative_sitemap_line(caplog):
    with caplog.at_level(logging.WARNING):
        build_sitemap(_plan(""))
    assert "no base URL" in caplog.text and "robots.txt" in caplog.text
    [(_, robots)] = build_robots(_plan(""))
    assert b"Sitemap:" not in robots
    [(_, robots)] = build_robots(_plan("https://example.org"))
    assert b"Sitemap: https://example.org/sitemap.xml" in robots
