"""Shareable preview links: made and revoked in the admin, opened by anyone, the latest draft.

The admin views are driven with Django's test client as an editor; the link is
opened through the CMS preview endpoint (``?share=``) and, once, through
:func:`jamtail.build.preview.render_preview` over real HTTP as the ``/preview/``
function does. The Chromium flow is in tests/test_preview_browser.py.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from cms.content.preview_links import PreviewLink
from jamtail.build.preview import render_preview

SITE = Path(__file__).resolve().parents[1] / "site"

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, site):
    user = User.objects.create_user("edith", "edith@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def make_link(editor, page, days=7) -> PreviewLink:
    response = editor.post(f"/admin/preview-links/{page.id}/", {"days": days})
    assert response.status_code == 302, response.content
    return PreviewLink.objects.filter(page=page).first()


def share_token(link: PreviewLink) -> str:
    return parse_qs(urlsplit(link.url()).query)["share"][0]


def open_link(api, link: PreviewLink):
    return api.get("/api/v2/preview/", {"share": share_token(link)})


def test_the_page_header_menu_offers_share_preview(editor, site):
    response = editor.get(f"/admin/pages/{site['posts'][0].id}/edit/")
    assert f'href="/admin/preview-links/{site["posts"][0].id}/"' in response.content.decode()


def test_an_editor_makes_a_link_listed_with_its_author_and_expiry(editor, site):
    page = site["draft"]
    listing = editor.get(f"/admin/preview-links/{page.id}/").content.decode()
    assert 'value="7"' in listing  # the default lifetime
    link = make_link(editor, page, days=3)
    assert link.created_by.username == "edith"
    assert abs(link.expires_at - (timezone.now() + dt.timedelta(days=3))) < dt.timedelta(minutes=1)
    assert link.url().startswith("http://127.0.0.1:8080/preview/?share=")
    listing = editor.get(f"/admin/preview-links/{page.id}/").content.decode()
    row = re.search(rf'<tr id="link-{link.pk}".*?</tr>', listing, re.S)[0]
    assert "edith" in row and link.expires_at.strftime("%Y-%m-%d") in row and "active" in row


@pytest.mark.parametrize("days", [0, 31, "x"])
def test_a_lifetime_outside_one_to_thirty_days_is_refused(editor, site, days):
    response = editor.post(f"/admin/preview-links/{site['draft'].id}/", {"days": days})
    assert response.status_code == 200
    assert not PreviewLink.objects.exists()


def test_a_link_shows_the_latest_draft_each_time_it_is_opened(editor, api, site):
    page = site["draft"]
    link = make_link(editor, page)
    assert open_link(api, link).json()["title"] == "Secret Draft Post"
    page.title = "Secret Draft Post, revised"
    page.save_revision()
    item = open_link(api, link).json()
    assert item["title"] == "Secret Draft Post, revised"
    assert item["id"] == page.id


def test_a_revoked_link_is_refused(editor, api, site):
    page = site["posts"][0]
    link = make_link(editor, page)
    response = editor.post(f"/admin/preview-links/{page.id}/{link.pk}/revoke/")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == "revoked" and link.revoked_by.username == "edith"
    response = open_link(api, link)
    assert response.status_code == 410
    assert response.json()["code"] == "link_revoked"
    assert b"Hello" not in response.content


def test_an_expired_link_is_refused(editor, api, site):
    link = make_link(editor, site["draft"])
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    response = open_link(api, link)
    assert response.status_code == 410
    assert response.json()["code"] == "link_expired"


def test_a_forged_link_or_a_preview_token_is_refused(editor, api, site):
    link = make_link(editor, site["draft"])
    token = share_token(link)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert api.get("/api/v2/preview/", {"share": forged}).status_code == 403
    preview_token = site["draft"].create_page_preview().token
    assert api.get("/api/v2/preview/", {"share": preview_token}).status_code == 403


def test_someone_who_cannot_edit_the_page_cannot_share_it(client, site):
    user = User.objects.create_user("reader", "r@example.org", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    page = site["draft"]
    client.force_login(user)
    # Wagtail's admin answers a PermissionDenied with a redirect to the dashboard.
    assert client.get(f"/admin/preview-links/{page.id}/")["Location"] == "/admin/"
    assert client.post(f"/admin/preview-links/{page.id}/", {"days": 7})["Location"] == "/admin/"
    assert not PreviewLink.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_link_is_a_readable_page_for_the_reviewer(live_server, editor, site):
    link = make_link(editor, site["draft"])
    api = f"{live_server.url}/api/v2/"
    status, _, html = render_preview(api, {"share": share_token(link)}, SITE)
    assert status == 200 and "Secret Draft Post" in html and "Draft preview" in html
    link.revoke(None)
    status, headers, html = render_preview(api, {"share": share_token(link)}, SITE)
    assert status == 410
    assert headers["Content-Type"].startswith("text/html")
    assert "This preview link has been revoked." in html
    assert "Ask the person who shared this link for a new one." in html
    assert "Secret Draft Post" not in html
