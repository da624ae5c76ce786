"""Comments in the CMS: the service-token API, the rate limit, the page API field,
rebuilds on approval, moderators' email and the Wagtail admin's bulk moderation.

Real Wagtail on a real SQLite database; requests through Django's test client.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.comments.models import Comment, client_hash
from cms.publishing.models import BuildRequest
from tests.factories import article, demo_site

pytestmark = pytest.mark.django_db
TOKEN = "test-comments-service-token"


@pytest.fixture
def site(settings):
    settings.JAMTAIL_COMMENTS_TOKEN = TOKEN
    settings.JAMTAIL_COMMENTS_RATE_LIMIT = 3
    settings.JAMTAIL_COMMENTS_RATE_WINDOW = 600
    settings.JAMTAIL_COMMENTS_NOTIFY = []
    return demo_site()


def new_comment(api, article_page, token=TOKEN, **fields):
    data = {
        "page": article_page.pk,
        "author_name": "Ada",
        "author_email": "ada@example.org",
        "body_markdown": "Nice *post*",
        "body_html": "<p>Nice <em>post</em></p>",
        "client_address": "203.0.113.7",
        **fields,
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return api.post("/api/v2/comments/", data, format="json", **headers)


def approved(page, **fields) -> Comment:
    defaults = {"author_name": "Bo", "body_markdown": "Hi", "status": Comment.APPROVED}
    return Comment.objects.create(page=page, **{**defaults, **fields})


def test_creating_a_comment_needs_the_service_token(api, site, settings):
    post = site["posts"][0]
    assert new_comment(api, post, token=None).status_code == 401
    assert new_comment(api, post, token="wrong-token").status_code == 401
    settings.JAMTAIL_COMMENTS_TOKEN = ""
    refused = new_comment(api, post)
    assert refused.status_code == 403
    assert "JAMTAIL_COMMENTS_TOKEN" in refused.json()["message"]
    assert Comment.objects.count() == 0


def test_a_stored_comment_is_pending_and_keeps_only_a_hash_of_the_address(api, site):
    response = new_comment(api, site["posts"][0])
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment.status == Comment.PENDING
    assert comment.client_hash == client_hash("203.0.113.7")
    assert len(comment.client_hash) == 64 and "203.0.113.7" not in comment.client_hash
    stored = " ".join(str(v) for v in Comment.objects.values().get(pk=comment.pk).values())
    assert "203.0.113.7" not in stored


def test_the_hash_depends_on_the_salt(site, settings):
    settings.JAMTAIL_COMMENTS_HASH_SALT = "one salt"
    first = client_hash("203.0.113.7")
    settings.JAMTAIL_COMMENTS_HASH_SALT = "another salt"
    assert client_hash("203.0.113.7") != first


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"author_name": ""}, "author_name"),
        ({"author_name": "x" * 81}, "author_name"),
        ({"author_email": "not-an-email"}, "author_email"),
        ({"body_markdown": ""}, "body_markdown"),
        ({"body_markdown": "x" * 5001}, "body_markdown"),
        ({"page": 999_999}, "page"),
        ({"page": 2**63}, "page"),  # beyond any database integer: a 400, never a 500
        ({"parent": 2**63}, "parent"),
    ],
)
def test_invalid_fields_are_refused_with_the_field_named(api, site, fields, field):
    response = new_comment(api, site["posts"][0], **fields)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Comment.objects.count() == 0


def test_only_live_public_articles_take_comments(api, site):
    for page in (site["draft"], site["private"], site["about"]):
        response = new_comment(api, page)
        assert response.status_code == 400, page
        assert "page" in response.json()["fields"]


def test_a_reply_needs_an_approved_parent_on_the_same_page(api, site):
    first, second = site["posts"][:2]
    other_page = approved(second)
    pending = Comment.objects.create(page=first, author_name="P", body_markdown="pending")
    for parent in (other_page, pending):
        response = new_comment(api, first, parent=parent.pk)
        assert response.status_code == 400
        assert "parent" in response.json()["fields"]
    good = new_comment(api, first, parent=approved(first).pk)
    assert good.status_code == 201


def test_the_rate_limit_answers_429_with_retry_after(api, site):
    post = site["posts"][0]
    for _ in range(3):
        assert new_comment(api, post).status_code == 201
    limited = new_comment(api, post)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 600
    assert new_comment(api, post, client_address="198.51.100.1").status_code == 201
    assert Comment.objects.count() == 4


def test_the_limit_frees_up_as_old_comments_leave_the_window(api, site):
    post = site["posts"][0]
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    for _ in range(3):
        approved(post, client_hash=client_hash("203.0.113.7"), created_at=hour_ago)
    assert new_comment(api, post).status_code == 201


def test_the_public_listing_has_approved_comments_threaded_without_private_fields(api, site):
    post = site["posts"][0]
    root = approved(post, author_name="Root", author_email="root@example.org")
    reply = approved(post, parent=root, author_name="Reply")
    Comment.objects.create(page=post, author_name="Pending", body_markdown="x")
    Comment.objects.create(page=post, author_name="Spam", body_markdown="x", status="spam")
    response = api.get("/api/v2/comments/", {"page": post.pk})
    assert response.status_code == 200
    [only] = response.json()["comments"]
    assert only["id"] == root.pk and only["author_name"] == "Root"
    assert [r["id"] for r in only["replies"]] == [reply.pk]
    text = response.content.decode()
    assert "root@example.org" not in text and "client_hash" not in text and "email" not in text
    assert api.get("/api/v2/comments/", {"page": site["draft"].pk}).status_code == 404
    assert api.get("/api/v2/comments/").status_code == 400
    assert api.get("/api/v2/comments/", {"page": str(2**63)}).status_code == 400


def test_html_is_cleaned_again_on_the_way_in_and_on_the_way_out(api, site):
    post = site["posts"][0]
    response = new_comment(
        api, post, body_html='<p onclick="x()">Hi<script>alert(1)</script><img src=x></p>'
    )
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment.body_html == "<p>Hi</p>"
    Comment.objects.filter(pk=comment.pk).update(
        status="approved", body_html='<a href="javascript:alert(1)">x</a><svg onload=1>'
    )
    listed = api.get("/api/v2/comments/", {"page": post.pk}).json()["comments"][0]
    assert listed["body_html"] == "x"


def test_the_page_api_has_the_approved_comments_of_each_article(api, site):
    post = site["posts"][0]
    root = approved(post, author_name="Root")
    approved(post, parent=root, author_name="Reply")
    Comment.objects.create(page=post, author_name="Pending", body_markdown="x")
    item = api.get(f"/api/v2/pages/{post.pk}/").json()
    assert [c["author_name"] for c in item["comments"]] == ["Root"]
    assert [c["author_name"] for c in item["comments"][0]["replies"]] == ["Reply"]
    assert "email" not in str(item["comments"])


def test_the_article_listing_costs_the_same_queries_with_more_articles_and_comments(api, site):
    def listing_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(
                "/api/v2/pages/", {"type": "content.ArticlePage", "fields": "*", "limit": 500}
            )
        assert response.status_code == 200
        return len(queries)

    for post in site["posts"]:
        approved(post)
    listing_queries()  # warm Wagtail's caches (content types, site root paths, renditions)
    few = listing_queries()
    for n in range(6):
        extra = article(site["blog"], f"More {n}", dt.date(2026, 5, n + 1))
        root = approved(extra)
        approved(extra, parent=root)
    listing_queries()
    assert listing_queries() == few


def events() -> list[tuple[str, list[int]]]:
    return [(r.event, r.page_ids) for r in BuildRequest.objects.order_by("id")]


def test_approving_unapproving_and_deleting_an_approved_comment_rebuild_its_page(site):
    post = site["posts"][0]
    comment = Comment.objects.create(page=post, author_name="A", body_markdown="x")
    BuildRequest.objects.all().delete()
    comment.status = Comment.SPAM
    comment.save()
    assert events() == [], "a pending comment marked as spam changes no page"
    comment.status = Comment.APPROVED
    comment.save()
    assert events() == [("comment_approve", [post.pk])]
    comment.status = Comment.REJECTED
    comment.save()
    assert len(events()) == 2
    comment.status = Comment.APPROVED
    comment.save()
    comment.delete()
    assert events()[-1] == ("comment_approve", [post.pk])
    assert len(events()) == 4
    assert BuildRequest.objects.last().paths == [post.get_url_parts()[2]]  # a site path


def test_a_new_comment_emails_the_moderators_without_the_readers_email(
    api, site, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.JAMTAIL_COMMENTS_NOTIFY = ["mods@example.org", "editor@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        response = new_comment(api, site["posts"][0], body_markdown="Lovely *post*")
    [message] = mail.outbox
    assert message.to == ["mods@example.org", "editor@example.org"]
    assert "Hello Jamtail" in message.subject and "Ada" in message.subject
    assert "Lovely *post*" in message.body
    assert f"/admin/snippets/comments/comment/edit/{response.json()['id']}/" in message.body
    assert "ada@example.org" not in message.body + message.subject
    assert Comment.objects.get().notified_at is not None


def test_a_failing_mail_server_loses_no_comment(
    api, site, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    settings.JAMTAIL_COMMENTS_NOTIFY = ["mods@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        response = new_comment(api, site["posts"][0])
    assert response.status_code == 201
    assert Comment.objects.get().notified_at is None


# The Wagtail admin ------------------------------------------------------------


@pytest.fixture
def moderator(client, site):
    user = User.objects.create_user("mo", "mo@example.org", "pw-for-tests-only")
    user.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(user)
    return client


def test_editors_and_moderators_may_moderate_but_not_create_comments():
    for name in ("Editors", "Moderators"):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert {"view_comment", "change_comment", "delete_comment"} <= codenames, name
        assert "add_comment" not in codenames


def test_the_moderation_list_filters_by_status_and_page(moderator, site):
    first, second = site["posts"][:2]
    Comment.objects.create(page=first, author_name="Waiting Walter", body_markdown="a")
    approved(first, author_name="Approved Anna")
    Comment.objects.create(page=second, author_name="Other Otto", body_markdown="b")
    url = reverse("wagtailsnippets_comments_comment:list")
    everything = moderator.get(url).content.decode()
    assert all(n in everything for n in ("Waiting Walter", "Approved Anna", "Other Otto"))
    pending = moderator.get(url, {"status": "pending"}).content.decode()
    assert "Waiting Walter" in pending and "Other Otto" in pending
    assert "Approved Anna" not in pending
    on_first = moderator.get(url, {"page": first.pk}).content.decode()
    assert "Other Otto" not in on_first and "Waiting Walter" in on_first


@pytest.mark.parametrize(("action", "status"), [("approve", "approved"), ("spam", "spam")])
def test_bulk_actions_set_the_status_of_the_selected_comments(moderator, site, action, status):
    post = site["posts"][0]
    picked = [
        Comment.objects.create(page=post, author_name=f"R{n}", body_markdown="x") for n in range(3)
    ]
    left = Comment.objects.create(page=post, author_name="Left", body_markdown="x")
    BuildRequest.objects.all().delete()
    url = (
        reverse("wagtail_bulk_action", args=["comments", "comment", action])
        + "?"
        + "&".join(f"id={c.pk}" for c in picked)
    )
    confirm = moderator.get(url)
    assert confirm.status_code == 200
    assert "R0" in confirm.content.decode()
    done = moderator.post(url)
    assert done.status_code == 302
    assert set(
        Comment.objects.filter(pk__in=[c.pk for c in picked]).values_list("status", flat=True)
    ) == {status}
    assert Comment.objects.get(pk=left.pk).status == "pending"
    rebuilds = [e for e, _ in events()]
    assert rebuilds == (["comment_approve"] * 3 if status == "approved" else [])


def test_a_user_without_the_permission_cannot_bulk_approve(client, site):
    user = User.objects.create_user("nobody", "n@example.org", "pw-for-tests-only")
    user.user_permissions.add(
        *Group.objects.get(name="Editors").permissions.exclude(codename="change_comment")
    )
    client.force_login(user)
    comment = Comment.objects.create(page=site["posts"][0], author_name="R", body_markdown="x")
    url = reverse("wagtail_bulk_action", args=["comments", "comment", "approve"])
    client.post(f"{url}?id={comment.pk}")
    assert Comment.objects.get(pk=comment.pk).status == "pending"


def test_a_moderator_approves_one_comment_from_its_edit_form(moderator, site):
    post = site["posts"][0]
    comment = Comment.objects.create(page=post, author_name="Edna", body_markdown="*hi*")
    BuildRequest.objects.all().delete()
    url = reverse("wagtailsnippets_comments_comment:edit", args=[comment.pk])
    form = moderator.get(url)
    assert form.status_code == 200
    assert "Edna" in form.content.decode()
    done = moderator.post(url, {"status": "approved", "author_name": "Changed"})
    assert done.status_code == 302, done.content.decode()[-2000:]
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert comment.author_name == "Edna", "what the reader wrote is read-only"
    assert events() == [("comment_approve", [post.pk])]


# One-click moderation, the count waiting ----------------------------------------


def moderate_url(comment: Comment, action: str) -> str:
    return reverse("wagtailsnippets_comments_comment:moderate", args=[comment.pk, action])


def test_one_post_approves_a_comment_and_returns_to_the_page_it_came_from(moderator, site):
    post = site["posts"][0]
    comment = Comment.objects.create(page=post, author_name="Quick Quinn", body_markdown="x")
    BuildRequest.objects.all().delete()
    listing = reverse("wagtailsnippets_comments_comment:list")
    back = f"http://testserver{listing}?status=pending"
    done = moderator.post(moderate_url(comment, "approve"), {"next": back})
    assert done.status_code == 302 and done.url == back
    assert Comment.objects.get(pk=comment.pk).status == Comment.APPROVED
    assert [e for e, _ in events()] == ["comment_approve"]  # the page is rebuilt
    # Again: nothing changes, nothing is rebuilt, and the moderator is told so.
    again = moderator.post(moderate_url(comment, "approve"), follow=True)
    assert "was already Approved" in again.content.decode()
    assert len(events()) == 1
    # A foreign `next` is not followed; a GET changes nothing.
    away = moderator.post(moderate_url(comment, "spam"), {"next": "https://evil.example/"})
    assert away.url == listing and Comment.objects.get(pk=comment.pk).status == Comment.SPAM
    assert moderator.get(moderate_url(comment, "reject")).status_code == 405
    assert moderator.post(moderate_url(comment, "delete")).status_code == 404


def test_one_click_needs_the_change_permission(client, site):
    user = User.objects.create_user("viewer", "v@example.org", "pw-for-tests-only")
    user.user_permissions.add(
        *Group.objects.get(name="Editors").permissions.exclude(codename="change_comment")
    )
    client.force_login(user)
    comment = Comment.objects.create(page=site["posts"][0], author_name="R", body_markdown="x")
    # Wagtail's admin answers PermissionDenied with its dashboard and a message.
    assert client.post(moderate_url(comment, "approve")).url == "/admin/"
    assert Comment.objects.get(pk=comment.pk).status == Comment.PENDING
    listing = client.get(reverse("wagtailsnippets_comments_comment:list")).content.decode()
    assert "data-moderate" not in listing  # no buttons for a viewer


def test_the_listing_has_the_buttons_that_would_change_each_comment(moderator, site):
    post = site["posts"][0]
    waiting = Comment.objects.create(page=post, author_name="Wanda", body_markdown="x")
    done = approved(post, author_name="Andy")
    listing = moderator.get(reverse("wagtailsnippets_comments_comment:list")).content.decode()
    for comment, actions, absent in [
        (waiting, ("approve", "reject", "spam"), None),
        (done, ("reject", "spam"), "approve"),
    ]:
        for action in actions:
            assert f'data-w-action-url-value="{moderate_url(comment, action)}"' in listing
        if absent:
            assert moderate_url(comment, absent) not in listing
    assert 'data-action="w-action#post"' in listing
    assert 'aria-label="Approve the comment by Wanda"' in listing


def test_the_menu_and_the_dashboard_count_the_comments_waiting(moderator, site):
    post = site["posts"][0]
    home = moderator.get("/admin/").content.decode().replace("&quot;", '"')
    assert '"label": "Comments"' in home
    assert "No comments are waiting for moderation." in home
    for n in range(3):
        Comment.objects.create(page=post, author_name=f"Waiting {n}", body_markdown=f"w{n}")
    approved(post, author_name="Not waiting")
    home = moderator.get("/admin/").content.decode()
    assert '"label": "Comments (3)"' in home.replace("&quot;", '"')
    assert "Comments waiting for moderation (3)" in home
    assert 'data-comments-waiting="3"' in home and "Waiting 0" in home
    assert "Not waiting" not in home


def test_the_article_editor_lists_the_pages_own_comments_with_the_buttons(moderator, site):
    first, second = site["posts"][:2]
    mine = Comment.objects.create(page=first, author_name="On First", body_markdown="mine")
    Comment.objects.create(page=second, author_name="On Second", body_markdown="theirs")
    edit = moderator.get(f"/admin/pages/{first.pk}/edit/").content.decode()
    assert "Reader comments" in edit and "data-reader-comments" in edit
    assert "On First" in edit and "On Second" not in edit
    assert moderate_url(mine, "approve") in edit
    assert "1 waiting for a decision" in edit
