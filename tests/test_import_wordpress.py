"""The WordPress importer: a WXR export and its uploads become Wagtail pages, media,
comments and redirects, with every item of the export accounted for.

The scenario tests import ``tests/importer_fixtures/wordpress/export.xml`` (one of
each mapping: classic and Gutenberg posts, shortcodes, threaded comments, a draft, a
future post, a page tree, a missing upload) into the real test database; the content
conversion is also specified without a database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from cms.comments.models import Comment
from cms.content.models import ArticlePage, SectionPage, StandardPage
from cms.importer.markdown import LinkTarget
from cms.importer.wordpress import WxrError, import_wordpress, read_wxr
from cms.importer.wordpress.content import Converter, parse_atts, parse_blocks, wpautop
from tests.importer_helpers import FIXTURES, make_png

EXPORT = FIXTURES / "wordpress" / "export.xml"
Image = get_image_model()
Document = get_document_model()


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """wp-content/uploads of the fixture site, without ``missing.png`` and ``gone.png``."""
    root = tmp_path / "uploads"
    make_png(root / "2024/05/photo.png", "red", (40, 20))
    make_png(root / "2024/05/second.png", "blue", (20, 20))  # exported as sites/3/2024/05/
    (root / "2024/05/guide.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n")
    return root


def run(*args: str) -> tuple[str, str, BaseException | None]:
    out, err = StringIO(), StringIO()
    error: BaseException | None = None
    try:
        call_command("import_wordpress", *args, stdout=out, stderr=err)
    except Exception as exc:
        error = exc
    return out.getvalue(), err.getvalue(), error


def article(slug: str) -> ArticlePage:
    return ArticlePage.objects.get(slug=slug)


def block_types(page) -> list[str]:
    return [b["type"] for b in page.body.raw_data]


@pytest.fixture
def imported(uploads, tmp_path):
    report_path = tmp_path / "report.json"
    out, err, error = run(str(EXPORT), "--uploads", str(uploads), "--report", str(report_path))
    assert error is None, err
    return {"out": out, "err": err, "report": json.loads(report_path.read_text())}


# --- the whole export ------------------------------------------------------------------


@pytest.mark.django_db
def test_every_item_is_accounted_for_in_the_report(imported):
    report = imported["report"]
    exported = {i.post_id for i in read_wxr(EXPORT).items}
    assert {i["post_id"] for i in report["items"]} == exported
    outcomes = {i["post_id"]: (i["outcome"], i["reason"]) for i in report["items"]}
    assert outcomes[300] == (
        "skipped",
        "navigation menu item: Jamtail's menus come from the page tree",
    )
    assert outcomes[301][0] == "skipped" and "revision" in outcomes[301][1]
    assert outcomes[302][0] == "skipped" and "'product'" in outcomes[302][1]
    assert outcomes[11][0] == "skipped" and "missing.png" in outcomes[11][1]
    assert outcomes[206] == ("skipped", "status trash: not content a reader saw")
    counts = report["counts"]
    assert (counts["pages"], counts["failed"], counts["comments"]) == (11, 0, 4)
    assert (counts["images"], counts["documents"]) == (2, 1)
    # Skips that lose content are named on stderr; skips by design are only counted.
    assert "missing.png" in imported["err"] and "'product'" in imported["err"]
    assert "skipped 1: navigation menu item" in imported["out"]


@pytest.mark.django_db
def test_posts_become_articles_in_a_section_and_pages_keep_their_tree(imported):
    section = SectionPage.objects.get(slug="blog")
    assert section.title == "Fixture Blog" and section.live
    classic = article("classic-post")
    assert classic.get_parent().specific == section and classic.live
    assert classic.date.isoformat() == "2024-05-01"
    assert classic.first_published_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    history = StandardPage.objects.get(slug="history")
    assert history.url_path.endswith("/about/team/history/") and history.live
    # Siblings follow WordPress's page order (menu_order), not the file's order.
    children = [p.slug for p in section.get_parent().get_children()]
    assert [s for s in children if s in ("about", "pending-page")] == ["pending-page", "about"]


@pytest.mark.django_db
def test_categories_tags_post_format_authors_summary_and_featured_image(imported):
    classic = article("classic-post")
    assert sorted(t.name for t in classic.tags.all()) == ["Gallery", "News", "python"]
    assert [a.author.name for a in classic.article_authors.all()] == ["Ada Lovelace"]
    assert classic.summary == "The classic summary."
    assert classic.hero_image.title == "Red rectangle"
    assert [a.author.name for a in article("block-post").article_authors.all()] == ["Grace Hopper"]


@pytest.mark.django_db
def test_classic_html_and_shortcodes_become_blocks_and_nothing_leaks(imported):
    classic = article("classic-post")
    blocks = classic.body.raw_data
    assert block_types(classic) == [
        "paragraph", "image", "image", "image", "embed", "embed", "paragraph",
    ]  # fmt: skip
    red, blue = Image.objects.get(title="Red rectangle"), Image.objects.get(title="Blue square")
    # [caption] of a resized copy (photo-300x150.png) -> the original, with its caption.
    assert blocks[1]["value"] == {
        "image": red.pk,
        "alt": "A red rectangle",
        "caption": "A caption with text",
    }
    # [gallery] without ids: the post's attached images in menu order, with their captions.
    assert [(b["value"]["image"], b["value"]["caption"]) for b in blocks[2:4]] == [
        (red.pk, "Red caption"),
        (blue.pk, "Blue caption"),
    ]
    # A bare oEmbed URL on its own line and [embed] both become embeds.
    assert [b["value"] for b in blocks[4:6]] == [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/76979871",
    ]
    text = json.dumps(list(blocks))
    block_post = article("block-post")
    guide = Document.objects.get(title="The guide")
    # wpautop: a single newline is a <br>, a blank line a new paragraph; links resolve.
    link = f'<a linktype="page" id="{block_post.pk}">'
    first = blocks[0]["value"]
    assert first.startswith(f"<p>First paragraph with <b>bold</b> and a link to {link}")
    assert f'<a linktype="document" id="{guide.pk}">the guide</a>' in blocks[0]["value"]
    # The missing image keeps its alt text; the unknown shortcode its text; no script.
    assert "<i>A picture that was lost</i>" in blocks[6]["value"]
    assert "Plugin text stays" in text
    for leaked in ("[caption", "[gallery", "[embed", "[myplugin", "<script", "alert("):
        assert leaked not in text


@pytest.mark.django_db
def test_gutenberg_blocks_become_matching_blocks(imported):
    page = article("block-post")
    blocks = page.body.raw_data
    assert block_types(page) == [
        "paragraph", "heading", "image", "image", "image", "paragraph", "quote", "code",
        "code", "table", "embed", "raw_html", "paragraph",
    ]  # fmt: skip
    about = StandardPage.objects.get(slug="about")
    assert f'<a linktype="page" id="{about.pk}">about</a>' in blocks[0]["value"]
    assert blocks[1]["value"] == {"text": "A third-level heading", "level": "3", "anchor": ""}
    blue = Image.objects.get(title="Blue square")
    assert blocks[2]["value"] == {
        "image": blue.pk,
        "alt": "A blue square",
        "caption": "Blue, captioned",
    }
    assert blocks[5]["value"] == "<ul>\n<li>First item</li>\n<li>Second item</li>\n</ul>"
    assert blocks[6]["value"] == {
        "text": "<p>Simplicity is prerequisite for reliability.</p>",
        "attribution": "Edsger Dijkstra",
    }
    assert blocks[7]["value"] == {"language": "python", "code": "def add(a, b):\n    return a < b"}
    assert blocks[8]["value"] == {"language": "", "code": "  kept   spacing"}
    assert blocks[9]["value"]["columns"] == [
        {"type": "text", "heading": "Name"},
        {"type": "text", "heading": "Year"},
    ]
    assert blocks[9]["value"]["rows"] == [{"values": ["<p>COBOL</p>", "<p><b>1959</b></p>"]}]
    assert blocks[10]["value"] == "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
    assert "onclick" not in blocks[11]["value"] and "Custom <b>HTML</b>" in blocks[11]["value"]
    # separator, a paragraph inside columns, an unknown block's text (with a warning).
    assert blocks[12]["value"] == "<hr/><p>Inside a column.</p><p>Widget fallback text</p>"
    assert "block acme/widget has no Jamtail equivalent" in imported["err"]
    assert "<!-- wp:" not in json.dumps(list(blocks))


@pytest.mark.django_db
def test_an_empty_page_with_the_sections_slug_is_merged_into_the_posts_section(imported):
    section = SectionPage.objects.get(slug="blog")
    outcome = next(i for i in imported["report"]["items"] if i["post_id"] == 204)
    assert (outcome["outcome"], outcome["page_id"]) == ("merged", section.pk)
    assert "posts page" in outcome["reason"]
    assert Redirect.objects.get(old_path="/?page_id=204").redirect_page_id == section.pk
    assert not StandardPage.objects.filter(slug__startswith="blog").exists()


@pytest.mark.django_db
def test_a_page_whose_parent_is_not_imported_goes_under_the_parent_with_a_warning(imported):
    orphan = StandardPage.objects.get(slug="orphan")
    assert orphan.get_parent().pk == SectionPage.objects.get(slug="blog").get_parent().pk
    assert "page #205 'Orphan': parent #206 was not imported" in imported["err"]
    assert Redirect.objects.get(old_path="/binned/orphan").redirect_page_id == orphan.pk


@pytest.mark.django_db
def test_drafts_private_pending_and_protected_content_are_never_public(imported):
    for slug in ("draft-post", "private-post"):
        page = article(slug)
        assert not page.live and page.latest_revision is not None, slug
    pending = StandardPage.objects.get(slug="pending-page")
    assert not pending.live and pending.latest_revision is not None
    protected = article("protected-post")
    assert protected.live and protected.has_unpublished_changes
    assert "password-protected" in json.dumps(list(protected.body.raw_data))
    assert "Words behind a password" in json.dumps(
        list(protected.latest_revision.as_object().body.raw_data)
    )
    assert "Words behind a password" not in json.dumps(list(protected.body.raw_data))
    live_text = json.dumps(
        [list(p.specific.body.raw_data) for p in Page.objects.live().type(ArticlePage)]
    )
    assert "Secret draft words" not in live_text and "Private words" not in live_text


@pytest.mark.django_db
def test_a_future_post_is_scheduled_not_live(imported):
    page = article("future-post")
    assert not page.live
    assert page.go_live_at == datetime(2099, 1, 1, 9, 30, tzinfo=UTC)
    assert page.latest_revision.approved_go_live_at == datetime(2099, 1, 1, 9, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_comments_keep_their_threads_and_moderation_state(imported):
    comments = {c.author_name: c for c in Comment.objects.filter(page=article("classic-post"))}
    assert set(comments) == {"Reader One", "Ada Lovelace", "Waiting Reader", "Spammer"}
    assert comments["Ada Lovelace"].parent == comments["Reader One"]
    assert [comments[n].status for n in ("Reader One", "Waiting Reader", "Spammer")] == [
        Comment.APPROVED,
        Comment.PENDING,
        Comment.SPAM,
    ]
    assert comments["Reader One"].body_html == (
        "<p>Great post.</p>\n<p>Second paragraph of the comment.</p>"
    )
    assert comments["Reader One"].created_at == datetime(2024, 5, 2, 8, tzinfo=UTC)
    # The pingback is not a reader's comment; the page's comment has no article to go on.
    assert imported["report"]["counts"]["comments_skipped"] == 2
    assert "pingbacks/trackbacks skipped" in imported["err"]


@pytest.mark.django_db
def test_every_old_permalink_of_a_public_item_redirects_to_its_page(imported):
    redirects = {
        r.old_path: r.redirect_page.specific for r in Redirect.objects.exclude(redirect_page=None)
    }
    classic, block_post = article("classic-post"), article("block-post")
    team = StandardPage.objects.get(slug="team")
    assert redirects["/2024/05/classic-post"] == classic
    assert redirects["/2024/05/old-classic"] == classic  # _wp_old_slug
    assert redirects["/?p=100"] == classic
    assert redirects["/?p=101"] == block_post
    assert redirects["/?page_id=201"] == team
    assert "/about/team" not in redirects  # the page kept its old path: no redirect needed
    assert redirects["/2024/05/classic-post/photo"] == classic  # attachment page
    assert redirects["/?attachment_id=10"] == classic
    # Nothing redirects to a page that is not public.
    assert all(page.live for page in redirects.values())
    assert "/?p=102" not in redirects and "/?p=104" not in redirects


@pytest.mark.django_db
def test_category_tag_format_and_author_archives_redirect_to_tag_and_author_pages(imported):
    links = {
        r.old_path: r.redirect_link
        for r in Redirect.objects.exclude(redirect_link="").exclude(redirect_link="/atom.xml")
    }
    assert links == {
        "/category/news": "/tags/news/",
        "/tag/python": "/tags/python/",
        "/type/gallery": "/tags/gallery/",
        "/author/ada": "/authors/ada-lovelace/",
        "/author/grace": "/authors/grace-hopper/",
    }


@pytest.mark.django_db
def test_a_missing_upload_is_a_warning_and_the_post_still_imports(imported):
    assert "attachment #11 'Lost picture': file not found" in imported["err"]
    assert "image not found under --uploads: 2024/05/gone.png" in imported["err"]
    assert article("classic-post").live


@pytest.mark.django_db
def test_links_to_drafts_keep_their_old_url_with_a_warning(imported):
    first = article("classic-post").body.raw_data[0]["value"]
    assert '<a href="https://old.example.org/?p=102">the draft</a>' in first
    assert "links to #102 'Draft Post', which is not public (draft)" in imported["err"]


# --- running it again ---------------------------------------------------------------------


@pytest.mark.django_db
def test_re_importing_the_same_file_changes_nothing(uploads, tmp_path):
    first = import_wordpress(EXPORT, uploads)
    counts = (
        Page.objects.count(),
        Comment.objects.count(),
        Redirect.objects.count(),
        Image.objects.count(),
        Document.objects.count(),
    )
    revisions = {p.pk: p.latest_revision_id for p in Page.objects.all()}
    second = import_wordpress(EXPORT, uploads)
    assert second.pages_made == first.pages_made == 11
    # Pages made before are unchanged, files already in the library merged, the rest as before.
    again = {i.post_id: i.outcome for i in second.items}
    for item in first.items:
        if item.outcome == "created":
            expected = "merged" if item.post_type == "attachment" else "unchanged"
        else:
            expected = item.outcome
        assert again[item.post_id] == expected, item
    assert (second.redirects, second.comments, second.images, second.documents) == (0, 0, 0, 0)
    assert counts == (
        Page.objects.count(),
        Comment.objects.count(),
        Redirect.objects.count(),
        Image.objects.count(),
        Document.objects.count(),
    )
    assert revisions == {p.pk: p.latest_revision_id for p in Page.objects.all()}


@pytest.mark.django_db
def test_a_changed_item_updates_its_page_in_place(uploads, tmp_path):
    import_wordpress(EXPORT, uploads)
    page_id = article("block-post").pk
    changed = tmp_path / "changed.xml"
    changed.write_text(EXPORT.read_text().replace("A third-level heading", "A renamed heading"))
    report = import_wordpress(changed, uploads)
    outcomes = {i.post_id: i.outcome for i in report.items}
    assert outcomes[101] == "updated" and outcomes[100] == "unchanged"
    page = ArticlePage.objects.get(pk=page_id)
    assert page.body.raw_data[1]["value"]["text"] == "A renamed heading"
    assert ArticlePage.objects.filter(slug__startswith="block-post").count() == 1


@pytest.mark.django_db
def test_dry_run_writes_nothing(uploads):
    before = (Page.objects.count(), Image.objects.count(), Redirect.objects.count())
    report = import_wordpress(EXPORT, uploads, dry_run=True)
    assert report.pages_made == 11 and report.dry_run
    assert before == (Page.objects.count(), Image.objects.count(), Redirect.objects.count())


@pytest.mark.django_db
def test_strict_fails_on_a_warning_after_importing(uploads):
    out, _, error = run(str(EXPORT), "--uploads", str(uploads), "--strict")
    assert isinstance(error, CommandError) and "--strict" in str(error)
    assert "items 20" in out


@pytest.mark.django_db
def test_without_uploads_every_post_imports_and_each_attachment_is_reported_lost():
    report = import_wordpress(EXPORT)
    assert report.pages_made == 11 and report.failed == []
    lost = {i.post_id: i.reason for i in report.lost()}
    assert set(lost) == {10, 11, 12, 13, 302}
    assert lost[10] == "file not found (no --uploads given): 2024/05/photo.png"
    assert article("classic-post").hero_image is None
    assert not Image.objects.exists()


@pytest.mark.django_db
def test_a_missing_uploads_folder_stops_the_import_before_anything_is_written(tmp_path):
    _, _, error = run(str(EXPORT), "--uploads", str(tmp_path / "nowhere"))
    assert isinstance(error, CommandError) and "is not a folder" in str(error)
    assert not ArticlePage.objects.exists()


@pytest.mark.django_db
def test_posts_go_straight_into_a_section_given_as_parent(uploads, site):
    blog = SectionPage.objects.get(slug="blog")
    report = import_wordpress(EXPORT, uploads, parent_path=blog.url_path[len("/home") :])
    assert report.failed == []
    assert article("classic-post").get_parent().pk == blog.pk
    assert blog.get_children().filter(slug="about").exists()


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<rss><channel><item>", "not well-formed XML"),
        ('<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not a WordPress export"),
    ],
)
def test_a_file_that_is_not_a_wxr_export_is_a_clear_error(tmp_path, text, message):
    bad = tmp_path / "bad.xml"
    bad.write_text(text)
    _, _, error = run(str(bad))
    assert isinstance(error, CommandError) and message in str(error)
    assert not ArticlePage.objects.exists()


def test_entities_are_never_expanded_and_external_files_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    attack = (
        EXPORT.read_text()
        .replace(
            '<?xml version="1.0" encoding="UTF-8" ?>',
            '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM '
            f'"file://{secret}"><!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        )
        .replace("<title><![CDATA[Fixture Blog]]></title>", "<title>&x;&b;</title>")
    )
    path = tmp_path / "attack.xml"
    path.write_text(attack)
    try:
        export = read_wxr(path)
    except WxrError:
        return  # refusing the file is as safe as reading it without the entities
    assert "TOP SECRET" not in export.title and "aaaaaaaaaa" not in export.title


def test_wxr_1_1_and_1_0_namespaces_parse_the_same():
    text = EXPORT.read_text()
    for version in ("1.1", "1.0"):
        older = text.replace("export/1.2/", f"export/{version}/")
        path = EXPORT.parent.parent.parent / f".wxr-{version}.xml"
        try:
            path.write_text(older)
            export = read_wxr(path)
        finally:
            path.unlink(missing_ok=True)
        assert len(export.items) == 20
        assert export.authors["ada"].display_name == "Ada Lovelace"
        assert {i.post_id: i.excerpt for i in export.items}[100] == "The <em>classic</em> summary."


# --- content conversion, without a database ----------------------------------------------------


class FakeLibrary:
    """A resolver over a fixed table: the converter is pure, so no database is needed."""

    def image(self, src, attachment_id=None):
        return 7 if "known" in src or attachment_id == 5 else None

    def gallery(self, ids):
        return [(7, "first"), (8, "second")] if ids is None else [(i, "") for i in ids]

    def link(self, href):
        return LinkTarget("page", 3) if href.endswith("/hello/") else None

    def is_embed_url(self, url):
        return "youtube.com" in url

    def is_local(self, url):
        return "old.test" in url or not url.startswith("http")

    def reusable(self, ref):
        return None

    def footnotes(self):
        return []


def convert(html: str) -> tuple[list[dict], list[str]]:
    converter = Converter(FakeLibrary())
    return converter.convert(html), converter.warnings


def test_block_comments_nest_and_text_between_blocks_is_classic_html():
    blocks = parse_blocks(
        'Before\n<!-- wp:group --><div><!-- wp:paragraph {"x":1} --><p>In</p>'
        "<!-- /wp:paragraph --></div><!-- /wp:group -->\n<!-- wp:spacer /-->After"
    )
    assert [b.name for b in blocks] == ["freeform", "core/group", "core/spacer", "freeform"]
    assert blocks[1].children[0].attrs == {"x": 1} and blocks[1].children[0].html == "<p>In</p>"


def test_shortcode_attributes_parse_like_wordpress():
    assert parse_atts(" id=\"attachment_5\" align='left' width=300 https://x.test/a") == {
        "id": "attachment_5",
        "align": "left",
        "width": "300",
        "0": "https://x.test/a",
    }


def test_wpautop_makes_paragraphs_but_leaves_blocks_and_pre_alone():
    assert wpautop("a\nb\n\nc") == "<p>a<br>\nb</p>\n<p>c</p>"
    assert wpautop("<pre>x\n\ny</pre>\n\n<ul><li>z</li></ul>") == (
        "<pre>x\n\ny</pre>\n<ul>\n<li>z</li>\n</ul>"
    )


def test_gallery_ids_caption_and_prose_brackets():
    blocks, warnings = convert(
        '[gallery ids="4,9"]\n\nSee [this] and '
        '[caption id="attachment_5"]<img src="x.png"/> Cap[/caption]'
    )
    assert [b["type"] for b in blocks] == ["image", "image", "paragraph", "image"]
    assert [b["value"]["image"] for b in blocks[:2]] == [4, 9]
    assert "[this]" in blocks[2]["value"]  # WordPress, too, leaves unregistered [words] alone
    assert blocks[3]["value"] == {"image": 7, "alt": "", "caption": "Cap"}
    assert warnings == []


def test_inline_images_leave_their_paragraph_and_links_resolve():
    blocks, _ = convert(
        '<p>Text <a href="/full.png"><img src="/known.png" alt="K"></a> and '
        '<a title="T" href="https://old.test/hello/" target="_blank">hi</a></p>'
    )
    assert blocks == [
        {"type": "image", "value": {"image": 7, "alt": "K", "caption": ""}},
        {"type": "paragraph", "value": '<p>Text  and <a linktype="page" id="3">hi</a></p>'},
    ]


def test_another_sites_image_stays_an_image_a_missing_local_one_leaves_its_alt_text():
    blocks, _ = convert(
        '<img src="https://cdn.example/a.png" alt="Far &amp; away">\n\n'
        '<img src="https://old.test/wp-content/uploads/gone.png" alt="Gone">'
    )
    figure = '<figure><img src="https://cdn.example/a.png" alt="Far &amp; away"></figure>'
    assert blocks == [
        {"type": "raw_html", "value": figure},
        {"type": "paragraph", "value": "<p><i>Gone</i></p>"},
    ]


def test_only_urls_of_oembed_providers_on_their_own_line_become_embeds():
    blocks, _ = convert("https://www.youtube.com/watch?v=x\n\nhttps://example.org/not-an-embed")
    assert blocks[0] == {"type": "embed", "value": "https://www.youtube.com/watch?v=x"}
    assert blocks[1]["type"] == "paragraph" and "example.org/not-an-embed" in blocks[1]["value"]


def test_a_definition_list_becomes_a_definitions_block_keeping_term_ids():
    blocks, warnings = convert(
        '<dl><dt id="ttl">TTL <em>(seconds)</em></dt><dd>How long a copy is kept.</dd>'
        "<dd><p>Zero: <b>never</b>.</p></dd><dt>Origin</dt><dd>Where it comes from.</dd></dl>"
    )
    assert blocks == [
        {
            "type": "definitions",
            "value": [
                {
                    "term": "TTL (seconds)",
                    "anchor": "ttl",
                    "definition": "<p>How long a copy is kept.</p><p>Zero: <b>never</b>.</p>",
                },
                {"term": "Origin", "anchor": "", "definition": "<p>Where it comes from.</p>"},
            ],
        }
    ]
    assert warnings == []
