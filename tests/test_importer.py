"""The Markdown importer: Zola/Hugo/Jekyll content folders become Wagtail pages.

Integration tests run the real import on the test database; the Markdown
conversion is also specified block by block without a database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import Page

from cms.content.models import ArticlePage, Author, ImportSource, SectionPage, StandardPage
from cms.importer import SourceError, import_directory
from cms.importer.frontmatter import parse_document
from cms.importer.markdown import ImageTarget, LinkTarget, markdown_to_blocks, parse_markdown
from cms.importer.slugs import make_slug
from tests.importer_helpers import copy_fixture, make_png, run_command, write_tree

Image = get_image_model()


# --- front matter (no database) ------------------------------------------------------


def test_toml_front_matter_gives_title_authors_tags_summary_and_aliases():
    doc = parse_document(
        '+++\ntitle = "T"\nauthors = ["A", "B"]\ndescription = "D"\n'
        'aliases = ["x.html"]\ntags = ["t1"]\n[taxonomies]\ncategories = ["c1"]\n+++\nBody\n',
        "t.md",
    )
    assert (doc.title, doc.authors, doc.summary, doc.aliases) == ("T", ["A", "B"], "D", ["x.html"])
    assert doc.tags == ["t1", "c1"]
    assert doc.body == "Body\n"


def test_yaml_front_matter_with_author_string_and_space_separated_categories():
    doc = parse_document("---\ntitle: Y\nauthor: Grace\ncategories: a b\n---\nText", "y.md")
    assert (doc.title, doc.authors, doc.tags) == ("Y", ["Grace"], ["a", "b"])


@pytest.mark.parametrize(
    ("text", "rel_path", "expected"),
    [
        ("+++\ndate = 2019-03-04\n+++\n", "x.md", dt.date(2019, 3, 4)),
        ("---\ndate: 2019-03-04 10:00:00 +0000\n---\n", "x.md", dt.date(2019, 3, 4)),
        ('+++\npath = "inside-rust/2020/04/17/x"\n+++\n', "x.md", dt.date(2020, 4, 17)),
        ("", "2018/01/02/post.md", dt.date(2018, 1, 2)),
        ("", "_posts/2017-06-30-jekyll-post.md", dt.date(2017, 6, 30)),
        ("", "undated.md", None),
    ],
)
def test_date_comes_from_front_matter_path_key_relative_path_or_jekyll_name(
    text, rel_path, expected
):
    assert parse_document(text, rel_path).date == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("+++\ntitle = \n+++\n", "invalid TOML front matter"),
        ("---\ntitle: [unclosed\n---\n", "invalid YAML front matter"),
        ("+++\ntitle = 'x'\n", "never closed"),
        ('+++\ndate = "2020-13-45"\n+++\n', "invalid date"),
    ],
)
def test_bad_front_matter_is_a_source_error_naming_the_file(text, reason):
    with pytest.raises(SourceError) as caught:
        parse_document(text, "bad.md")
    assert caught.value.path == "bad.md"
    assert reason in caught.value.reason


def test_slugs_are_valid_wagtail_slugs():
    assert make_slug("Rust-1.12") == "rust-1-12"
    assert make_slug("Überblick 2.0!") == "überblick-2-0"
    assert make_slug("...") == "page"


# --- Markdown -> blocks (no database) --------------------------------------------------


class FakeResolver:
    """Pages are ``*.md`` links (id 5); local images get id 7."""

    def link(self, href):
        return LinkTarget("page", 5) if href.endswith(".md") else None

    def image(self, src, alt):
        return None if src.startswith("http") else ImageTarget(7, "/media/original_images/x.png")

    def file_url(self, href):
        return None if href.startswith(("http", "#")) else f"/media/documents/{href}"


SAMPLE = """\
# Title {#top}

Some *text* with a [page](other.md), a [site](https://example.org) and a note[^n].

- one
- two

![Ferris](ferris.png "The crab")

![remote](https://example.org/x.png)

```rust,ignore
fn main() {}
```

> Be excellent.
> — Bill

<div class="note"><img src="ferris.png"></div>

| Name | Link |
|------|------|
| a    | [b](other.md) |

##### Deep

[^n]: The *note*.
"""


def test_every_block_type_from_a_markdown_sample():
    blocks = markdown_to_blocks(parse_markdown(SAMPLE), FakeResolver())
    assert [b["type"] for b in blocks] == [
        "heading",
        "paragraph",
        "image",
        "paragraph",
        "code",
        "quote",
        "raw_html",
        "table",
        "heading",
        "footnotes",
    ]
    heading, para, image, remote, code, quote, raw, table, deep, notes = (
        b["value"] for b in blocks
    )
    assert heading == {"text": "Title", "level": "2", "anchor": "top"}
    assert '<a linktype="page" id="5">page</a>' in para
    assert '<a href="https://example.org">site</a>' in para
    assert '<sup><a href="#fn-n">1</a></sup>' in para
    assert "<ul>" in para, "lists merge into the paragraph block"
    assert image == {"image": 7, "alt": "Ferris", "caption": "The crab"}
    assert remote == '<p><a href="https://example.org/x.png">remote</a></p>'
    assert code == {"language": "rust", "code": "fn main() {}"}
    assert quote == {"text": "<p>Be excellent.</p>", "attribution": "Bill"}
    assert raw == '<div class="note"><img src="/media/original_images/x.png"></div>'
    assert table["columns"] == [
        {"type": "text", "heading": "Name"},
        {"type": "text", "heading": "Link"},
    ]
    assert table["rows"] == [{"values": ["<p>a</p>", '<p><a linktype="page" id="5">b</a></p>']}]
    assert deep["level"] == "4"
    assert notes == [{"anchor": "fn-n", "text": "<p>The <i>note</i>.</p>"}]


def test_raw_html_links_to_local_files_point_at_library_files():
    html = '<div>\n<a href="chart.svg">SVG</a> <a href="https://x.org/a.png">x</a>\n</div>\n'
    [block] = markdown_to_blocks(parse_markdown(html), FakeResolver())
    assert block["type"] == "raw_html"
    assert 'href="/media/documents/chart.svg"' in block["value"]
    assert 'href="https://x.org/a.png"' in block["value"]


def test_images_inside_text_become_rich_text_embeds():
    blocks = markdown_to_blocks(parse_markdown("See ![a cat](cat.png) here."), FakeResolver())
    assert blocks == [
        {
            "type": "paragraph",
            "value": '<p>See <embed embedtype="image" id="7" format="fullwidth" alt="a cat"/>'
            " here.</p>",
        }
    ]


def test_empty_body_gives_no_blocks():
    assert markdown_to_blocks(parse_markdown(""), FakeResolver()) == []


# --- importing into Wagtail ------------------------------------------------------------


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    return copy_fixture("blog", tmp_path)


def page_for(key: str) -> Page:
    return ImportSource.objects.get(key=key).page.specific


@pytest.mark.django_db
def test_a_zola_folder_becomes_a_section_with_articles_standard_pages_and_drafts(blog):
    report = import_directory(blog)
    assert report.failed == []
    assert (report.created, report.drafts) == (5, 1)

    section = page_for("blog/_index.md")
    assert isinstance(section, SectionPage)
    assert section.title == "Fixture Blog"
    assert section.description == "A small blog in the Zola convention."
    assert "<i>fixture</i>" in section.intro
    assert section.get_parent().specific_class.__name__ == "HomePage"

    first = page_for("blog/first-post.md")
    assert isinstance(first, ArticlePage)
    assert (first.slug, first.date, first.live) == ("first-post", dt.date(2020, 4, 17), True)
    assert first.summary == "The very first post."
    assert [a.author.name for a in first.article_authors.all()] == [
        "Ada Lovelace",
        "Charles Babbage",
    ]
    assert sorted(t.name for t in first.tags.all()) == ["announcements", "news", "rust"]
    assert first.revisions.count() == 1

    second = page_for("blog/posts/2021-05-06-second.md")
    assert (second.slug, second.date, second.summary) == (
        "second",
        dt.date(2021, 5, 6),
        "From YAML.",
    )
    assert sorted(t.name for t in second.tags.all()) == ["jekyll", "notes", "yaml"]
    assert second.get_parent().pk == section.pk, "a folder without _index.md is not a section"

    assert isinstance(page_for("blog/about.md"), StandardPage)
    assert Author.objects.filter(slug="grace-hopper").exists()


@pytest.mark.django_db
def test_a_draft_is_imported_but_never_live(blog):
    import_directory(blog)
    draft = page_for("blog/draft.md")
    assert draft.live is False
    assert draft.title == "Unfinished"
    assert draft.revisions.count() == 1
    assert not Page.objects.live().filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_path_and_aliases_become_permanent_redirects_to_the_page(blog):
    import_directory(blog)
    first = page_for("blog/first-post.md")
    redirects = Redirect.objects.filter(redirect_page=first)
    assert {r.old_path for r in redirects} == {
        "/2020/04/17/First-post",
        "/2020/04/17/First-post.html",
    }
    assert all(r.is_permanent for r in redirects)


@pytest.mark.django_db
def test_internal_links_become_page_links(blog):
    import_directory(blog)
    first, second = page_for("blog/first-post.md"), page_for("blog/posts/2021-05-06-second.md")
    first_html = first.body[0].value.source
    assert f'<a linktype="page" id="{second.pk}">second post</a>' in first_html
    assert f'<a linktype="page" id="{first.pk}">timeline</a>' in first_html, "old permalink"
    assert f'<a linktype="page" id="{first.pk}">first</a>' in second.body[0].value.source


@pytest.mark.django_db
def test_re_running_updates_in_place_without_duplicates(blog):
    import_directory(blog)
    counts = (Page.objects.count(), Redirect.objects.count(), Author.objects.count())

    again = import_directory(blog)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)

    about = blog / "about.md"
    about.write_text(about.read_text().replace('"About"', '"About us"'))
    edited = import_directory(blog)
    assert (edited.created, edited.updated, edited.unchanged) == (0, 1, 4)
    assert page_for("blog/about.md").title == "About us"
    assert (Page.objects.count(), Redirect.objects.count(), Author.objects.count()) == counts


@pytest.mark.django_db
def test_a_page_bundle_puts_its_images_in_the_library_once(tmp_path):
    root = write_tree(
        tmp_path / "site",
        {
            "_index.md": '+++\ntitle = "Site"\n+++\n',
            "launch/index.md": """\
                +++
                title = "Launch"
                date = 2024-02-03
                +++

                ![A red square](red.png)

                Inline ![again](red.png) and a [file](notes.txt).
                """,
            "reprint/index.md": '+++\ntitle = "Copy"\n+++\n\n![Same pixels](same.png)\n',
        },
    )
    make_png(root / "launch" / "red.png", "red")
    make_png(root / "reprint" / "same.png", "red")
    (root / "launch" / "notes.txt").write_text("notes")

    report = import_directory(root)
    assert report.failed == [] and report.images == 1
    launch = page_for("site/launch/index.md")
    assert launch.slug == "launch"
    image = Image.objects.get()
    assert image.description == "A red square"
    assert launch.body[0].block_type == "image"
    assert launch.body[0].value["image"].pk == image.pk
    html = launch.body[1].value.source
    assert f'<embed embedtype="image" id="{image.pk}"' in html
    assert 'linktype="document"' in html
    assert page_for("site/reprint/index.md").body[0].value["image"].pk == image.pk

    import_directory(root)
    assert Image.objects.count() == 1


@pytest.mark.django_db
def test_imported_images_keep_their_size_and_their_bytes_svg_too(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="10"></svg>'
    root = write_tree(
        tmp_path / "site",
        {
            "post.md": "---\ntitle: Pictures\n---\n\n![wide](wide.png)\n\n![drawn](drawn.svg)\n",
            "drawn.svg": svg,
        },
    )
    make_png(root / "wide.png", "blue", size=(640, 48))

    report = import_directory(root)

    assert report.failed == [] and report.images == 2
    sizes = {Path(i.file.name).suffix: (i.width, i.height) for i in Image.objects.all()}
    assert sizes == {".png": (640, 48), ".svg": (30, 10)}
    stored = Image.objects.get(file__endswith=".png")
    with stored.open_file() as f:
        assert f.read() == (root / "wide.png").read_bytes()
    assert stored.file_size == (root / "wide.png").stat().st_size


@pytest.mark.django_db
def test_a_missing_image_is_a_warning_and_the_post_keeps_its_alt_text(tmp_path):
    root = write_tree(
        tmp_path / "site",
        {
            "_index.md": '+++\ntitle = "Site"\n+++\n',
            "broken/index.md": (
                "+++\ntitle = 'Broken'\ndate = 2024-01-01\n+++\n![A red square](gone.png)\n\n"
                'Inline <img src="/img/lost.png" alt="a lost chart"> here.\n'
            ),
            "bad.md": "+++\ntitle = \n+++\n",
            "fine.md": "+++\ntitle = 'Fine'\ndate = 2024-01-01\n+++\nOk.\n",
        },
    )
    out, err, error = run_command(str(root))
    assert error is not None and "1 file(s) failed" in str(error)
    assert "warning: broken/index.md: image not found: gone.png (its alt text kept)" in err
    assert "bad.md: invalid TOML front matter" in err
    assert "created 3" in out and "failed 1" in out
    broken = page_for("site/broken/index.md")
    assert broken.live
    html = "".join(str(block.value) for block in broken.body)
    assert "A red square" in html and "a lost chart" in html
    assert "gone.png" not in html and "lost.png" not in html


@pytest.mark.django_db
def test_static_folders_resolve_site_absolute_images(tmp_path):
    root = write_tree(
        tmp_path / "site" / "content",
        {
            "_index.md": "",
            "post.md": "---\ntitle: P\ndate: 2024-01-01\n---\n![chart](/img/c.png)\n",
        },
    )
    make_png(tmp_path / "site" / "static" / "img" / "c.png")
    _out, err, error = run_command(str(root), "--static", str(tmp_path / "site" / "static"))
    assert error is None, err
    assert "warning" not in err
    image_blocks = [b for b in page_for("content/post.md").body if b.block_type == "image"]
    assert len(image_blocks) == 1 and image_blocks[0].value["alt"] == "chart"


@pytest.mark.django_db
def test_duplicate_slugs_non_ascii_titles_missing_titles_and_empty_bodies_all_import(tmp_path):
    root = write_tree(
        tmp_path / "site",
        {
            "_index.md": '+++\ntitle = "Site"\n+++\n',
            "Rust-1.0.md": "+++\ntitle = 'One'\ndate = 2015-05-15\n+++\n",
            "rust-1-0.md": "+++\ntitle = 'Two'\ndate = 2015-05-16\n+++\n",
            "überblick.md": "+++\ntitle = 'Überblick über Ünïcode 🦀'\n+++\n",
            "latest.md": '+++\ntemplate = "latest.html"\n+++\n',
        },
    )
    report = import_directory(root)
    assert report.failed == []
    assert page_for("site/Rust-1.0.md").slug == "rust-1-0"
    assert page_for("site/rust-1-0.md").slug == "rust-1-0-2"
    unicode_page = page_for("site/überblick.md")
    assert (unicode_page.slug, unicode_page.title) == ("überblick", "Überblick über Ünïcode 🦀")
    latest = page_for("site/latest.md")
    assert (type(latest), latest.title, list(latest.body)) == (StandardPage, "Latest", [])


@pytest.mark.django_db
def test_weight_orders_siblings_and_sections_take_sort_by_and_paginate_by(tmp_path):
    root = write_tree(
        tmp_path / "guide",
        {
            "_index.md": '+++\ntitle = "Guide"\nsort_by = "weight"\npaginate_by = 3\n+++\n',
            "alpha.md": "+++\ntitle = 'Alpha'\nweight = 30\n+++\n",
            "beta/index.md": "+++\ntitle = 'Beta'\nweight = 10\n+++\n",
            "gamma.md": "+++\ntitle = 'Gamma'\nweight = 20\n+++\n",
            "zeta.md": "+++\ntitle = 'Zeta'\n+++\n",
        },
    )
    assert import_directory(root).failed == []
    section = page_for("guide/_index.md")
    assert (section.order, section.per_page) == ("tree", 3)
    titles = [p.title for p in section.get_children()]
    assert titles == ["Beta", "Gamma", "Alpha", "Zeta"]


@pytest.mark.django_db
def test_links_to_an_old_section_url_resolve_and_broken_local_links_are_reported(tmp_path):
    root = write_tree(
        tmp_path / "content",
        {
            "_index.md": '+++\ntitle = "Blog"\n+++\n',
            "news/_index.md": '+++\ntitle = "News"\n+++\n',
            "post.md": "+++\ntitle = 'Post'\ndate = 2020-01-01\n+++\n"
            "See [the news](/news/), [gone](./missing.md) and [typo](github.com/x).\n",
        },
    )
    report = import_directory(root, slug="blog")
    assert report.failed == []
    assert (
        Redirect.objects.get(old_path="/news").redirect_page_id
        == page_for("content/news/_index.md").pk
    )
    body = page_for("content/post.md").body.raw_data[0]["value"]
    assert f'linktype="page" id="{page_for("content/news/_index.md").pk}"' in body
    assert "post.md: local link ./missing.md matches no page or file" in report.warnings
    assert "post.md: local link github.com/x matches no page or file" in report.warnings


@pytest.mark.django_db
def test_a_link_in_another_case_finds_the_page_hugo_would_serve_unless_two_pages_share_it(
    tmp_path,
):
    root = write_tree(
        tmp_path / "content",
        {
            "_index.md": "---\ntitle: Docs\n---\n",
            "functions/_index.md": "---\ntitle: Functions\n---\n",
            "functions/RelURL.md": "---\ntitle: relURL\n---\nMakes a URL relative.\n",
            "methods/_index.md": "---\ntitle: Methods\n---\n",
            "methods/Data.md": "---\ntitle: Data\nurl: /methods/data/\n---\nOne.\n",
            "methods/Data2.md": "---\ntitle: DATA\nurl: /methods/DATA/\n---\nTwo.\n",
            "guide.md": "---\ntitle: Guide\n---\n"
            "Use [relURL](/functions/relURL/), [RelURL](/functions/RelURL/) "
            "and [data](/methods/Data/).\n",
        },
    )
    report = import_directory(root, slug="docs")
    assert report.failed == []
    body = page_for("content/guide.md").body.raw_data[0]["value"]
    relurl = page_for("content/functions/RelURL.md").pk
    assert body.count(f'<a linktype="page" id="{relurl}">') == 2
    assert "guide.md: local link /methods/Data/ matches no page or file" in report.warnings


@pytest.mark.django_db
@pytest.mark.parametrize("family", ["hugo", "markdown"])
def test_a_page_path_without_a_leading_slash_is_looked_up_from_the_root_as_hugo_does(
    tmp_path, family
):
    root = write_tree(
        tmp_path / "content",
        {
            "_index.md": "---\ntitle: Docs\n---\n",
            "methods/_index.md": "---\ntitle: Methods\n---\n",
            "methods/date.md": "---\ntitle: Date\n---\nThe date.\n",
            "templates/_index.md": "---\ntitle: Templates\n---\n",
            "templates/intro.md": "---\ntitle: Intro\n---\nSee [Date](methods/date/).\n",
        },
    )
    report = import_directory(root, slug="docs", family=family)
    assert report.failed == []
    body = page_for("content/templates/intro.md").body.raw_data[0]["value"]
    date = page_for("content/methods/date.md").pk
    found = f'<a linktype="page" id="{date}">Date</a>' in body
    assert found == (family == "hugo")
    broken = "templates/intro.md: local link methods/date/ matches no page or file"
    assert (broken in report.warnings) == (family != "hugo")


@pytest.mark.django_db
def test_links_to_pages_of_an_earlier_import_become_page_links(tmp_path):
    docs = write_tree(
        tmp_path / "docs",
        {"_index.md": '+++\ntitle = "Docs"\n+++\n', "setup.md": "+++\ntitle = 'Setup'\n+++\n"},
    )
    blog = write_tree(
        tmp_path / "blog",
        {
            "_index.md": '+++\ntitle = "Blog"\n+++\n',
            "post.md": "+++\ntitle = 'Post'\ndate = 2020-01-01\n+++\nRead [setup](/docs/setup/).\n",
        },
    )
    import_directory(docs)
    report = import_directory(blog)
    assert report.warnings == []
    body = page_for("blog/post.md").body.raw_data[0]["value"]
    assert f'linktype="page" id="{page_for("docs/setup.md").pk}"' in body


@pytest.mark.django_db
def test_sort_by_date_lists_newest_first():
    doc = parse_document('+++\nsort_by = "date"\npaginate = 5\n+++\n', "_index.md")
    assert (doc.sort_by, doc.per_page) == ("date", 5)
    with pytest.raises(SourceError, match="weight"):
        parse_document("+++\nweight = 'heavy'\n+++\n", "x.md")


@pytest.mark.django_db
def test_a_folder_without_an_index_gets_an_implicit_section_for_its_articles(tmp_path):
    root = write_tree(tmp_path / "loose", {"dated.md": "+++\ndate = 2020-01-01\n+++\n"})
    report = import_directory(root)
    assert report.failed == [] and report.ok()
    dated = page_for("loose/dated.md")
    section = dated.get_parent().specific
    assert isinstance(section, SectionPage)
    assert (section.slug, section.title) == ("loose", "Loose")
    assert section.get_parent().specific_class.__name__ == "HomePage"


@pytest.mark.django_db
def test_a_root_index_md_is_the_home_section_not_a_bundle_swallowing_the_tree(tmp_path):
    root = write_tree(
        tmp_path / "site",
        {
            "index.md": "---\ntitle: Welcome\n---\nHome text.\n",
            "posts/one.md": "---\ntitle: One\ndate: 2021-01-01\n---\nOne.\n",
            "posts/two.md": "---\ntitle: Two\ndate: 2021-01-02\n---\nTwo.\n",
            "docs/index.md": "---\ntitle: Docs\n---\nDocs home.\n",
            "docs/guide.md": "---\ntitle: Guide\n---\nGuide.\n",
            "photo/index.md": "---\ntitle: Photo\n---\n![p](p.png)\n",
        },
    )
    make_png(root / "photo" / "p.png")
    report = import_directory(root, slug="blog")
    assert report.ok(), report.failed
    assert report.created == 6
    home = page_for("site/index.md")
    assert isinstance(home, SectionPage) and (home.slug, home.title) == ("blog", "Welcome")
    assert page_for("site/posts/one.md").get_parent().pk == home.pk
    docs = page_for("site/docs/index.md")
    assert isinstance(docs, SectionPage), "an index.md with pages beside it is a section"
    assert page_for("site/docs/guide.md").get_parent().pk == docs.pk
    assert isinstance(page_for("site/photo/index.md"), StandardPage), "a leaf bundle"
    outcomes = {f.path: (f.outcome, f.target) for f in report.files}
    assert outcomes["photo/p.png"] == ("resource", "photo/index.md")
    assert outcomes["posts/one.md"] == ("page", "/blog/one/")


@pytest.mark.django_db
def test_a_jekyll_blog_accounts_for_every_file_in_its_report(tmp_path):
    root = copy_fixture("jekyll", tmp_path)
    report_file = tmp_path / "report.json"
    _out, err, error = run_command(str(root), "--slug", "news", "--report", str(report_file))
    assert error is None, err
    data = json.loads(report_file.read_text())
    files = {f["path"]: f for f in data["files"]}
    every_file = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    in_skipped_folders = {p for p in every_file if p.startswith(("_layouts/", "_includes/"))}
    assert set(files) == (every_file - in_skipped_folders) | {"_layouts/", "_includes/"}
    content = [p for p in every_file if p.endswith((".md", ".markdown", ".mdx"))]
    assert all(files[p]["outcome"] == "page" for p in content), "every content file is a page"
    assert data["counts"]["pages"] == len(content) == 7
    assert files["_config.yml"]["outcome"] == "skipped"
    assert files["_layouts/"]["reason"].startswith("Jekyll layouts")
    assert files["assets/img/logo.png"]["outcome"] == "resource"
    assert isinstance(page_for("jekyll/release/_posts/2020-01-02-v1.md"), ArticlePage)
    assert "skipped: _config.yml: site configuration" in err

    _out, _err, strict_error = run_command(str(root), "--slug", "news", "--strict")
    assert strict_error is not None and "--strict" in str(strict_error)


@pytest.mark.django_db
def test_dry_run_writes_nothing(blog, tmp_path):
    make_png(blog / "pic" / "p.png")
    (blog / "pic" / "index.md").write_text("+++\ntitle = 'Pic'\n+++\n![p](p.png)\n")
    before = (Page.objects.count(), Redirect.objects.count(), Image.objects.count())
    out, err, error = run_command(str(blog), "--dry-run")
    assert error is None, err
    assert "dry run" in out and "created 6" in out and "images 1" in out
    after = (Page.objects.count(), Redirect.objects.count(), Image.objects.count())
    assert after == before
    assert not ImportSource.objects.exists()


@pytest.mark.django_db
def test_slug_and_parent_options_place_the_section(blog):
    import_directory(blog, slug="news")
    _out, err, error = run_command(str(blog / "posts"), "--parent", "/news/", "--slug", "x")
    assert error is None, err
    assert page_for("blog/_index.md").slug == "news"
    assert page_for("posts/2021-05-06-second.md").get_parent().slug == "news"


# --- the real corpus -------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.django_db
def test_the_whole_rust_blog_imports(rust_blog: Path):
    started = time.monotonic()
    report = import_directory(rust_blog)
    seconds = time.monotonic() - started
    print(f"Rust blog import: {report.summary()} in {seconds:.1f}s")
    assert [str(e) for e in report.failed] == []

    sources = ImportSource.objects.filter(key__startswith="content/").select_related("page")
    files = [p for p in rust_blog.rglob("*.md") if p.name != "_index.md"]
    files = [p for p in files if p.name == "index.md" or not (p.parent / "index.md").exists()]
    pages = {s.key: s.page for s in sources}
    for path in files:
        page = pages[f"content/{path.relative_to(rust_blog).as_posix()}"]
        assert page.live, path
    assert SectionPage.objects.filter(slug__in=["content", "inside-rust", "releases"]).count() == 3

    rust_1_12 = page_for("content/Rust-1.12/index.md")
    assert rust_1_12.date == dt.date(2016, 9, 29)
    assert Author.objects.filter(name="The Rust Core Team").exists()
    assert Redirect.objects.filter(
        old_path="/2016/09/29/Rust-1.12.html"
    ).get().redirect_page_id == (rust_1_12.pk)
    image_blocks = [b for b in rust_1_12.body if b.block_type == "image"]
    assert image_blocks and all(b.value["image"] is not None for b in image_blocks)
    for page in ArticlePage.objects.filter(pk__in=[p.pk for p in pages.values()])[:200]:
        assert page.date is not None
    assert page_for("content/releases/latest.md").title == "Latest"


@pytest.mark.django_db
def test_jekyll_front_matter_rules_and_drafts(tmp_path):
    root = copy_fixture("jekyll", tmp_path)
    report = import_directory(root, slug="news")
    assert report.family == "jekyll"
    hello = page_for("jekyll/_posts/2019-03-18-hello-world.markdown")
    assert (hello.slug, hello.date) == ("hello-world", dt.date(2019, 3, 18))
    assert [a.author.name for a in hello.article_authors.all()] == ["Ada Lovelace", "Grace Hopper"]
    assert sorted(t.name for t in hello.tags.all()) == ["announcements", "intro", "meta"]
    release = page_for("jekyll/release/_posts/2020-01-02-v1.md")
    assert [t.name for t in release.tags.all()] == ["release"], "the folder above _posts"
    for key in ("jekyll/_posts/2019-04-01-unpublished.md", "jekyll/_drafts/idea.md"):
        draft = page_for(key)
        assert not draft.live and draft.revisions.count() == 1, key
    assert report.drafts == 2


@pytest.mark.django_db
def test_every_old_jekyll_url_redirects_and_links_to_old_urls_become_page_links(tmp_path):
    root = copy_fixture("jekyll", tmp_path)
    import_directory(root, slug="news")
    hello = page_for("jekyll/_posts/2019-03-18-hello-world.markdown")
    about = page_for("jekyll/about.markdown")
    release = page_for("jekyll/release/_posts/2020-01-02-v1.md")
    expected = {
        "/announcements/2019/03/18/hello-world": hello,
        "/release/2020/01/02/v1": release,
        "/about-us": about,
        "/about.html": about,
        "/team": about,
    }
    for old, page in expected.items():
        redirect = Redirect.objects.get(old_path=old)
        assert (redirect.redirect_page_id, redirect.is_permanent) == (page.pk, True), old
    release_html = "".join(str(b.value.source) for b in release.body if b.block_type == "paragraph")
    assert f'<a linktype="page" id="{hello.pk}">hello</a>' in release_html


LEAK = re.compile(r"\{%-?\s*\w+|\{\{-?\s*site\.|\{\{[<%]")


def leaked_tags(page: Page) -> list[str]:
    """Template tags in a page's stored text outside code blocks and inline code."""
    found = []
    for block in getattr(page, "body", []):
        if block.block_type == "code":
            continue
        text = str(getattr(block.value, "source", block.value))
        text = re.sub(r"<code>.*?</code>", "", text, flags=re.DOTALL)
        found += LEAK.findall(text)
    return found


@pytest.mark.django_db
def test_liquid_tags_become_code_links_and_includes_and_unknown_ones_are_kept_as_code(tmp_path):
    root = copy_fixture("jekyll", tmp_path)
    report = import_directory(root, slug="news")
    hello = page_for("jekyll/_posts/2019-03-18-hello-world.markdown")
    about, release = (
        page_for("jekyll/about.markdown"),
        page_for("jekyll/release/_posts/2020-01-02-v1.md"),
    )
    code = [b.value for b in hello.body if b.block_type == "code"]
    assert [c["language"] for c in code] == ["ruby", "liquid"]
    assert 'puts "hello"' in code[0]["code"]
    text = "".join(str(b.value) for b in hello.body if b.block_type != "code")
    assert f'<a linktype="page" id="{about.pk}">about</a>' in "".join(
        b.value.source for b in hello.body if b.block_type == "paragraph"
    )
    assert f'id="{release.pk}"' in "".join(
        b.value.source for b in hello.body if b.block_type == "paragraph"
    ), "a {{ site.url }} link to the old site is internal"
    assert "Mind the gap" in text, "include file rendered with its parameter"
    assert "<code>{% tweet 12345 %}</code>" in text
    assert any(
        w.startswith("_posts/2019-03-18-hello-world.markdown:23: ") and "tweet" in w
        for w in report.warnings
    ), report.warnings
    home = page_for("jekyll/index.md")
    assert "https://github.com/example/fixture-blog" in home.intro, "{{ site.repository }}"
    mdx = page_for("jekyll/notes.mdx")
    assert [b.value["language"] for b in mdx.body if b.block_type == "code"] == ["jsx", "jsx"]
    assert "More text after the component" in str(mdx.body[-1].value)
    assert any("notes.mdx:4: MDX import" in w for w in report.warnings), report.warnings
    for source in ImportSource.objects.filter(key__startswith="jekyll/"):
        assert leaked_tags(source.page.specific) == [], source.key


@pytest.mark.django_db
def test_a_hugo_site_with_bundles_shortcodes_refs_headless_includes_and_permalinks(tmp_path):
    site = tmp_path / "hugosite"
    write_tree(
        site,
        {
            "hugo.toml": 'baseURL = "https://hugo.example/"\n[permalinks]\nposts = "/:year/:month/:slug/"\n[params]\nproduct = "Widget"\n[taxonomies]\ntag = "tags"\nseries = "series"\n',  # noqa: E501
            "content/_index.md": "---\ntitle: Home\n---\nWelcome to {{< param product >}}.\n",
            "content/docs/_index.md": "---\ntitle: Docs\n---\n",
            "content/docs/guide.md": """\
                ---
                title: Guide
                weight: 2
                aliases: [/old-guide/]
                ---
                See [setup]({{< relref "setup" >}}), [the post]({{< ref "/posts/launch.md#why" >}})
                and [setup again](../setup/) and [the photo](/docs/photo/).

                {{< figure src="/images/chart.png" alt="A chart" caption="Growth" >}}

                {{< youtube dQw4w9WgXcQ >}}

                {{% include "/_common/snippet.md" %}}

                {{< highlight go >}}
                fmt.Println("{{< not-a-shortcode >}}")
                {{< /highlight >}}

                {{< details summary="More" >}}
                Hidden text.
                {{< /details >}}

                ```text
                {{</* myshortcode */>}}
                ```

                {{< mystery arg >}}
                """,
            "content/docs/setup.md": "---\ntitle: Setup\nweight: 1\nlinkTitle: Set up\n---\nSet up.\n",  # noqa: E501
            "content/docs/photo/index.md": "---\ntitle: Photo\n---\n![p](p.png)\n",
            "content/posts/_index.md": "---\ntitle: Posts\n---\n",
            "content/posts/launch.md": "---\ntitle: Launch\ndate: 2024-05-06\nslug: we-launch\ndraft: true\nseries: [Basics]\ntags: [news]\n---\n## Why\n",  # noqa: E501
            "content/_common/_index.md": "---\ncascade:\n  build:\n    render: never\n---\n",
            "content/_common/snippet.md": "---\n---\nShared **snippet** text.\n",
        },
    )
    make_png(site / "content" / "docs" / "photo" / "p.png")
    make_png(site / "static" / "images" / "chart.png")
    report = import_directory(site / "content", slug="hugo")
    assert report.family == "hugo"
    assert report.ok(), (report.failed, [f for f in report.files if f.content])
    assert {f.path: f.outcome for f in report.files}["_common/snippet.md"] == "resource"
    assert not ImportSource.objects.filter(key__startswith="content/_common").exists()
    guide, setup = page_for("content/docs/guide.md"), page_for("content/docs/setup.md")
    launch, photo = page_for("content/posts/launch.md"), page_for("content/docs/photo/index.md")
    assert not launch.live, "draft: true"
    assert sorted(t.name for t in launch.tags.all()) == ["Basics", "news"], "a Hugo taxonomy"
    paragraphs = "".join(b.value.source for b in guide.body if b.block_type == "paragraph")
    for target in (setup, launch, photo):
        assert f'linktype="page" id="{target.pk}"' in paragraphs, target.title
    assert paragraphs.count(f'id="{setup.pk}"') == 2, "relref and a section-relative link"
    assert "Shared <b>snippet</b> text." in paragraphs
    assert "<details><summary>More</summary>" in "".join(
        str(b.value) for b in guide.body if b.block_type == "raw_html"
    )
    assert [b.value["alt"] for b in guide.body if b.block_type == "image"] == ["A chart"]
    code = {b.value["language"]: b.value["code"] for b in guide.body if b.block_type == "code"}
    assert code["go"] == 'fmt.Println("{{< not-a-shortcode >}}")'
    assert code["text"] == "{{< myshortcode >}}"
    assert code["template"] == "{{< mystery arg >}}"
    assert any(w.startswith("docs/guide.md:27: ") for w in report.warnings), report.warnings
    assert "Widget" in page_for("content/_index.md").intro
    redirects = {r.old_path: r.redirect_page_id for r in Redirect.objects.all()}
    assert redirects["/docs/guide"] == guide.pk and redirects["/old-guide"] == guide.pk
    assert "/2024/05/we-launch" not in redirects, "a draft's [permalinks] URL was never public"
    for source in ImportSource.objects.filter(key__startswith="content/"):
        assert leaked_tags(source.page.specific) == [], source.key


@pytest.mark.django_db
def test_zola_and_eleventy_sites(tmp_path):
    zola = write_tree(
        tmp_path / "zola",
        {
            "config.toml": 'base_url = "https://zola.example"\n',
            "content/_index.md": "+++\ntitle = 'Zola'\n+++\n",
            "content/post.md": "+++\ntitle = 'Z post'\ndate = 2023-01-02\n[taxonomies]\ntags = ['z']\n+++\n{{ youtube(id='abc123') }}\n\n{% note(kind='x') %}\nBody\n{% end %}\n",  # noqa: E501
        },
    )
    report = import_directory(zola / "content", slug="zola")
    assert report.family == "zola" and report.ok()
    post = page_for("content/post.md")
    assert "youtube.com/watch?v=abc123" in str(post.body[0].value)
    assert Redirect.objects.get(old_path="/post").redirect_page_id == post.pk
    assert leaked_tags(post) == []

    eleventy = write_tree(
        tmp_path / "eleventy",
        {
            ".eleventy.js": "module.exports = () => ({});\n",
            "_data/site.json": '{"url": "https://11ty.example"}',
            "index.md": "---\ntitle: Eleventy home\n---\nHi.\n",
            "blog/first.md": "---\ntitle: First\ndate: 2022-02-02\ntags: [post, notes]\npermalink: /articles/first/\n---\nFirst.\n",  # noqa: E501
            "blog/second.md": "---\ntitle: Second\ndate: 2022-03-03\n---\n[first](/articles/first/)\n",  # noqa: E501
        },
    )
    report = import_directory(eleventy, slug="eleventy")
    assert report.family == "eleventy" and report.ok()
    first, second = page_for("eleventy/blog/first.md"), page_for("eleventy/blog/second.md")
    assert Redirect.objects.get(old_path="/articles/first").redirect_page_id == first.pk
    assert Redirect.objects.get(old_path="/blog/second").redirect_page_id == second.pk
    assert f'id="{first.pk}"' in second.body[0].value.source


# --- Markdown fidelity and safety -------------------------------------------------------

XSS = """\
Text <img src="x.png" onerror="alert(1)"> and <svg onload="alert(2)"></svg>
and <a href="javascript:alert(3)">a link</a> end.

<iframe src="https://evil.example/"></iframe>

<style>body { display: none }</style>

<script>alert(4)</script>

<div onclick="alert(5)">Kept words</div>
"""


def stored_html(blocks: list[dict]) -> str:
    return json.dumps([b["value"] for b in blocks])


class NothingLocal:
    """A resolver for Markdown with no local pages, images or files."""

    def link(self, href):
        return None

    def image(self, src, alt):
        return None

    def file_url(self, href):
        return None


def test_inline_html_is_sanitised_by_default_and_kept_as_written_when_trusted():
    safe = stored_html(markdown_to_blocks(parse_markdown(XSS), NothingLocal()))
    for vector in ("onerror", "onload", "javascript:", "<iframe", "<style", "<script", "onclick"):
        assert vector not in safe, vector
    assert "Kept words" in safe and "a link" in safe
    trusted = stored_html(markdown_to_blocks(parse_markdown(XSS), NothingLocal(), trust_html=True))
    assert "onerror" in trusted and "<script>" in trusted


@pytest.mark.django_db
def test_the_import_report_counts_pages_with_raw_html(tmp_path):
    root = write_tree(tmp_path / "site", {"_index.md": "", "x.md": XSS, "plain.md": "Plain."})
    report = import_directory(root)
    assert (report.sanitised_pages, report.raw_html_pages) == (1, 0)
    assert "onerror" not in stored_html(page_for("site/x.md").body.raw_data)
    _out, err, error = run_command(str(root), "--trust-html")
    assert error is None, err
    assert "raw HTML pages 1" in _out
    assert "<script>" in stored_html(page_for("site/x.md").body.raw_data)


def test_bare_urls_are_links_and_fence_languages_pygments_lacks_are_mapped():
    blocks = markdown_to_blocks(
        parse_markdown(
            "See https://example.org/docs now.\n\n```mjs\nexport {}\n```\n\n"
            "```jsonc\n{}\n```\n\n```console\n$ ls\n```\n"
        ),
        FakeResolver(),
    )
    assert '<a href="https://example.org/docs">https://example.org/docs</a>' in blocks[0]["value"]
    assert [b["value"]["language"] for b in blocks[1:]] == ["javascript", "json", "console"]


WORD = st.from_regex(r"[a-z]{3,8}", fullmatch=True)


@st.composite
def nested_markdown(draw):
    """Lists and block quotes nested to depth 1..60, each level with its own words."""
    depth = draw(st.integers(1, 60))
    kinds = draw(st.lists(st.sampled_from(["- ", "1. ", "> "]), min_size=depth, max_size=depth))
    words, lines, indent = [], [], ""
    for kind in kinds:
        text = " ".join(draw(st.lists(WORD, min_size=1, max_size=3)))
        words += text.split()
        lines.append(f"{indent}{kind}{text}")
        indent += " " * len(kind) if kind != "> " else "> "
    return "\n".join(lines) + "\n", words


@settings(max_examples=40, deadline=None)
@given(nested_markdown())
def test_no_word_is_lost_however_deep_lists_and_quotes_nest(sample):
    markdown, words = sample
    stored = stored_html(markdown_to_blocks(parse_markdown(markdown), FakeResolver()))
    missing = [w for w in words if w not in stored]
    assert missing == []


@pytest.mark.django_db
def test_a_25_level_list_keeps_every_level_in_the_stored_page(tmp_path):
    levels = "\n".join("  " * i + f"- level{i}word" for i in range(25))
    root = write_tree(tmp_path / "site", {"_index.md": "", "deep.md": levels + "\n"})
    report = import_directory(root)
    assert report.ok()
    stored = stored_html(page_for("site/deep.md").body.raw_data)
    assert all(f"level{i}word" in stored for i in range(25))


def test_fenced_code_inside_a_list_item_is_highlighted():
    markdown = "1. Run this:\n\n   ```mjs\n   const x = 1;\n   ```\n2. Done.\n"
    html = markdown_to_blocks(parse_markdown(markdown), NothingLocal())[0]["value"]
    assert '<div class="highlight"><pre><code class="language-javascript">' in html
    assert '<span class="kd">const</span>' in html


@pytest.mark.parametrize(
    ("front_matter", "authors"),
    [
        (
            "author: Ada Lovelace, Grace Hopper, and Alan Kay",
            ["Ada Lovelace", "Grace Hopper", "Alan Kay"],
        ),
        ("author: Grace Hopper", ["Grace Hopper"]),
        ('authors: ["Amanieu d\'Antras, Jack Huey"]', ["Amanieu d'Antras, Jack Huey"]),
        ("authors:\n  - name: Ada\n  - name: Grace", ["Ada", "Grace"]),
    ],
)
def test_authors_from_a_comma_string_a_name_a_list_or_tables(front_matter, authors):
    assert parse_document(f"---\n{front_matter}\n---\n", "a.md").authors == authors
