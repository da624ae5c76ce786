"""First contact with real-world site layouts: each family's popular starter, imported as is.

The fixtures in ``tests/importer_fixtures`` are small copies of the layouts
people actually have: Jekyll's ``jekyll new`` site (minima theme), a Hugo blog
with PaperMod's configuration directory, the eleventy-base-blog starter and a
Zola blog. Each is imported the way a new user would, by naming the site's
folder and nothing else, into the test database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page

from cms.content.models import ArticlePage, ImportSource, SectionPage
from cms.importer.frontmatter import parse_document
from tests.importer_helpers import copy_fixture, make_png, run_command, write_tree

LEAK = re.compile(r"\{%-?\s*\w+|\{\{-?\s*(?:site|page)\.|\{\{[<%]|\{\{-?\s*['\"]")


def page_for(key: str) -> Page:
    return ImportSource.objects.get(key=key).page.specific


def redirects() -> dict[str, int | None]:
    return {r.old_path: r.redirect_page_id for r in Redirect.objects.all()}


def text_of(page: Page) -> str:
    """The page's stored text (every string of its blocks) outside code blocks and inline code."""

    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    raw = list(page.body.raw_data) if hasattr(page, "body") else []
    parts = [s for block in raw if block["type"] != "code" for s in strings(block["value"])]
    return re.sub(r"<code>.*?</code>", "", "".join(parts), flags=re.DOTALL)


def imported_as_a_new_user(name: str, tmp_path: Path) -> tuple[Path, dict, str]:
    """Copy the fixture site and run ``import_markdown SITE --report FILE``: (site, report, err)."""
    site = copy_fixture(name, tmp_path)
    report_file = tmp_path / "report.json"
    _out, err, error = run_command(str(site), "--report", str(report_file))
    assert error is None, err
    return site, json.loads(report_file.read_text()), err


def outcomes(report: dict) -> dict[str, tuple[str, str]]:
    return {f["path"]: (f["outcome"], f["reason"]) for f in report["files"]}


# --- front matter (no database) --------------------------------------------------------


def test_hugo_json_front_matter_gives_the_page_its_fields_and_leaves_the_body():
    doc = parse_document(
        '{\n  "title": "In JSON",\n  "date": "2023-03-03T09:00:00Z",\n'
        '  "tags": ["json"]\n}\nBody.\n',
        "posts/j.md",
    )
    assert (doc.title, doc.date, doc.tags, doc.body) == (
        "In JSON",
        dt.date(2023, 3, 3),
        ["json"],
        "Body.\n",
    )


def test_a_hugo_page_with_only_a_publish_date_is_dated_by_it():
    assert parse_document("+++\npublishDate = 2023-04-04\n+++\n", "p.md").date == dt.date(
        2023, 4, 4
    )
    assert parse_document("---\nlastmod: 2022-01-02\n---\n", "p.md").date == dt.date(2022, 1, 2)


def test_a_hugo_page_past_its_expiry_date_is_a_draft():
    doc = parse_document("---\ndate: 2020-01-01\nexpiryDate: 2020-02-01\n---\n", "x.md")
    assert doc.draft and doc.expired


@pytest.mark.parametrize("word", ["Last Modified", "git Last Modified", "Created", "git Created"])
def test_an_eleventy_date_keyword_is_not_an_invalid_date(word):
    assert parse_document(f"---\ndate: {word}\n---\n", "blog/x.md").date is None


def test_a_string_of_tags_is_one_tag_outside_jekyll_and_split_on_spaces_in_jekyll():
    text = "---\ntags: number 2\n---\n"
    assert parse_document(text, "x.md", split_terms=False).tags == ["number 2"]
    assert parse_document(text, "x.md").tags == ["number", "2"]


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("March 18, 2019", dt.date(2019, 3, 18)),
        ("Jul 08 2022", dt.date(2022, 7, 8)),
        ("18 March 2019", dt.date(2019, 3, 18)),
        ("2019/03/18 10:00", dt.date(2019, 3, 18)),
        ("Mon, 18 Mar 2019 10:00:00 +0000", dt.date(2019, 3, 18)),
    ],
)
def test_a_date_written_in_words_or_slashes_dates_the_post_instead_of_failing_it(written, day):
    assert parse_document(f'---\ndate: "{written}"\n---\n', "p.md").date == day


def test_string_booleans_and_numeric_strings_mean_what_they_say():
    doc = parse_document('---\ndraft: "false"\nweight: "10"\nexcerpt: Short.\n---\n', "p.md")
    assert (doc.draft, doc.weight, doc.summary) == (False, 10, "Short.")
    assert parse_document("---\npublished: 'no'\n---\n", "p.md").draft


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("timezone", "day"), [("", "2019/04/03"), ("America/Los_Angeles", "2019/04/02")]
)
def test_a_jekyll_post_is_filed_under_its_day_in_the_sites_timezone(tmp_path, timezone, day):
    site = write_tree(
        tmp_path / "tz",
        {
            "_config.yml": f"timezone: {timezone}\n" if timezone else "title: T\n",
            "_posts/2019-04-02-late.md": "---\ndate: 2019-04-02 23:30:00 -0700\n---\nLate.\n",
        },
    )
    _out, err, error = run_command(str(site))
    assert error is None, err
    assert redirects()[f"/{day}/late.html"] == page_for("tz/_posts/2019-04-02-late.md").pk


@pytest.mark.django_db
def test_every_markdown_extension_imports_and_other_markup_is_reported_as_not_imported(tmp_path):
    site = write_tree(
        tmp_path / "exts",
        {
            "_index.md": "---\ntitle: Exts\n---\n",
            "one.mkd": "---\ntitle: One\n---\n",
            "two.mdown": "---\ntitle: Two\n---\n",
            "three.adoc": "= Three\n",
            "four.org": "#+TITLE: Four\n",
        },
    )
    report_file = tmp_path / "report.json"
    _out, err, error = run_command(str(site), "--report", str(report_file))
    assert page_for("exts/one.mkd").title == "One" and page_for("exts/two.mdown").title == "Two"
    files = outcomes(json.loads(report_file.read_text()))
    assert files["three.adoc"][1].startswith("AsciiDoc content: only Markdown is imported")
    assert files["four.org"][1].startswith("Org mode content")
    assert "skipped: three.adoc: AsciiDoc content" in err
    assert error is not None and "2 content file(s) were not imported" in str(error)


# --- Jekyll: the `jekyll new` site with the minima theme -------------------------------


@pytest.mark.django_db
def test_a_minima_jekyll_site_imports_every_post_and_accounts_for_every_file(tmp_path):
    site, report, _err = imported_as_a_new_user("minima", tmp_path)
    assert report["family"] == "jekyll" and report["failed"] == []
    files = outcomes(report)
    every_file = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    folders = ("_layouts/", "_includes/", "_data/")
    assert set(files) == {f for f in every_file if not f.startswith(folders)} | set(folders)
    assert files["README.md"] == (
        "skipped",
        "excluded by the site's configuration (exclude), not part of the site",
    ), "_config.yml's exclude: README.md is not a page of the site"
    for post in (site / "_posts").iterdir():
        title = re.search(r"^title:\s*\"?(.*?)\"?\s*$", post.read_text(), re.M)
        page = page_for(f"minima/_posts/{post.name}")
        assert page.live and page.title == title.group(1), post.name
    home = page_for("minima/index.markdown")
    assert isinstance(home, SectionPage) and home.title == "Your awesome title", "site.title"


@pytest.mark.django_db
def test_a_jekyll_post_in_space_separated_categories_keeps_its_dated_url_as_a_redirect(tmp_path):
    imported_as_a_new_user("minima", tmp_path)
    welcome = page_for("minima/_posts/2019-03-18-welcome-to-jekyll.markdown")
    notes = page_for("minima/_posts/2019-04-02-release-notes.md")
    slugged = page_for("minima/_posts/2020-01-05-with-slug.md")
    old = redirects()
    assert old["/jekyll/update/2019/03/18/welcome-to-jekyll.html"] == welcome.pk
    assert old["/releases/news/2019/04/03/release-notes.html"] == notes.pk, "23:30 -0700 in UTC"
    assert notes.date == dt.date(2019, 4, 3)
    assert old["/april-notes"] == notes.pk, "redirect_from"
    assert old["/notes/2020/01/05/custom-slug.html"] == slugged.pk, "category: and slug:"
    assert sorted(t.name for t in notes.tags.all()) == ["changelog", "minima", "news", "releases"]


@pytest.mark.django_db
def test_a_jekyll_collection_keeps_its_collection_url_and_one_not_output_is_a_draft(tmp_path):
    _site, report, _err = imported_as_a_new_user("minima", tmp_path)
    guide = page_for("minima/_docs/getting-started.md")
    assert guide.live and redirects()["/docs/getting-started.html"] == guide.pk
    recipe = page_for("minima/_recipes/pancakes.md")
    assert not recipe.live, "collections: recipes: output: false had no page on the old site"
    assert not any("_recipes" in old for old in redirects())
    assert any("collection recipes is not output" in w for w in report["warnings"])


@pytest.mark.django_db
def test_an_undated_jekyll_draft_gets_no_redirect_from_an_unfilled_permalink_pattern(tmp_path):
    imported_as_a_new_user("minima", tmp_path)
    draft = page_for("minima/_drafts/unfinished-thoughts.md")
    assert not draft.live
    assert not [old for old in redirects() if ":" in old], "no /:year/:month/... literal"


@pytest.mark.django_db
def test_liquid_relative_url_and_baseurl_post_url_become_an_image_and_page_links(tmp_path):
    imported_as_a_new_user("minima", tmp_path)
    welcome = page_for("minima/_posts/2019-03-18-welcome-to-jekyll.markdown")
    assert [b.value["image"] is not None for b in welcome.body if b.block_type == "image"] == [
        True
    ], '![The logo]({{ "/assets/images/logo.png" | relative_url }})'
    about = page_for("minima/about.markdown")
    assert f'linktype="page" id="{welcome.pk}"' in text_of(about), (
        "{{ site.baseurl }}{% post_url %}"
    )
    for source in ImportSource.objects.filter(key__startswith="minima/"):
        assert LEAK.findall(text_of(source.page.specific)) == [], source.key


@pytest.mark.django_db
def test_a_jekyll_post_written_in_html_as_jekyll_import_makes_them_is_a_post(tmp_path):
    imported_as_a_new_user("minima", tmp_path)
    post = page_for("minima/_posts/2012-05-20-imported-from-wordpress.html")
    assert isinstance(post, ArticlePage) and post.live and post.date == dt.date(2012, 5, 20)
    assert [a.author.name for a in post.article_authors.all()] == ["Ada Lovelace"], "display_name"
    assert [b.block_type for b in post.body] == ["raw_html"], "HTML is not read as Markdown"
    assert "Indented HTML stays HTML." in post.body[0].value and "/media/" in post.body[0].value
    assert redirects()["/travel/2012/05/20/imported-from-wordpress.html"] == post.pk


@pytest.mark.django_db
def test_jekyll_front_matter_defaults_apply_under_each_files_own_front_matter(tmp_path):
    imported_as_a_new_user("minima", tmp_path)
    welcome = page_for("minima/_posts/2019-03-18-welcome-to-jekyll.markdown")
    notes = page_for("minima/_posts/2019-04-02-release-notes.md")
    assert [a.author.name for a in welcome.article_authors.all()] == ["Grace Hopper"]
    assert [a.author.name for a in notes.article_authors.all()] == ["Ada Lovelace"]


@pytest.mark.django_db
def test_jekyll_categories_are_lower_cased_not_slugified_unless_the_pattern_says_so(tmp_path):
    site = write_tree(
        tmp_path / "cats",
        {
            "_config.yml": "title: Cats\n",
            "_posts/2020-01-02-one.md": "---\ncategories: [Release Notes]\n---\n",
            "_posts/2020-01-03-two.md": "---\ncategories: [Release Notes]\n"
            "permalink: /:slugified_categories/:title/\n---\n",
        },
    )
    _out, err, error = run_command(str(site))
    assert error is None, err
    old = redirects()
    assert (
        old["/release%20notes/2020/01/02/one.html"] == page_for("cats/_posts/2020-01-02-one.md").pk
    )
    assert old["/release-notes/two"] == page_for("cats/_posts/2020-01-03-two.md").pk


@pytest.mark.django_db
def test_a_site_served_under_a_sub_path_keeps_that_path_in_its_old_urls(tmp_path):
    site = write_tree(
        tmp_path / "project",
        {
            "_config.yml": 'url: "https://ada.github.io"\nbaseurl: "/project"\n',
            "about.md": "---\ntitle: About\npermalink: /about/\n---\n"
            "![Logo](/project/img/logo.png)\n",
            "_posts/2020-01-02-one.md": "---\ntitle: One\n---\nSee [about](/project/about/)"
            " and [home](https://ada.github.io/project/).\n",
        },
    )
    make_png(site / "img" / "logo.png")
    _out, err, error = run_command(str(site), "--slug", "new")
    assert error is None, err
    about, one = page_for("project/about.md"), page_for("project/_posts/2020-01-02-one.md")
    old = redirects()
    assert old["/project/about"] == about.pk and old["/project/2020/01/02/one.html"] == one.pk
    assert f'linktype="page" id="{about.pk}"' in text_of(one), "a link with the sub-path"
    home = page_for("project/")
    assert f'id="{home.pk}"' in text_of(one), "the old site's own address"
    assert [b.value["image"] is not None for b in about.body if b.block_type == "image"] == [True]


@pytest.mark.django_db
def test_a_jekyll_posts_folder_imported_on_its_own_keeps_its_post_urls(tmp_path):
    site = copy_fixture("minima", tmp_path)
    _out, err, error = run_command(str(site / "_posts"), "--slug", "blog")
    assert error is None, err
    welcome = page_for("_posts/2019-03-18-welcome-to-jekyll.markdown")
    assert redirects()["/jekyll/update/2019/03/18/welcome-to-jekyll.html"] == welcome.pk


@pytest.mark.django_db
def test_kramdown_attribute_lists_and_the_toc_marker_never_show_as_text(tmp_path):
    imported_as_a_new_user("minima", tmp_path)
    post = page_for("minima/_posts/2021-02-03-kramdown-extras.md")
    text = text_of(post)
    assert "{:" not in text and "TOC" not in text
    assert [b.value["text"] for b in post.body if b.block_type == "heading"] == [
        "A section with a class"
    ]
    assert "A paragraph with an inline attribute list." in text
    assert "https://gist.github.com/parkr/931c1c8d465a04042403" in text, "{% gist %}"


@pytest.mark.django_db
def test_minimal_mistakes_theme_includes_become_an_image_and_a_video_link(tmp_path):
    _site, report, _err = imported_as_a_new_user("minima", tmp_path)
    post = page_for("minima/_posts/2021-02-03-kramdown-extras.md")
    images = [b.value for b in post.body if b.block_type == "image"]
    assert [(i["alt"], i["caption"], i["image"] is not None) for i in images] == [
        ("Logo", "The logo", True)
    ], "{% include figure image_path=... %} from the theme gem"
    assert "https://www.youtube.com/watch?v=XsxDH4HcOWA" in text_of(post)
    assert not [w for w in report["warnings"] if "kramdown-extras" in w]


@pytest.mark.django_db
def test_a_chirpy_post_finds_its_images_under_its_media_subpath(tmp_path):
    _site, report, _err = imported_as_a_new_user("minima", tmp_path)
    post = page_for("minima/_posts/2022-08-08-chirpy-style.md")
    text = text_of(post)
    assert 'embedtype="image"' in text, "the image, with its caption line, in the text"
    assert post.hero_image is not None, "image: {path: ...} under media_subpath"
    authors = [a.author.name for a in post.article_authors.all()]
    assert authors == ["Cotes Chung"], "author: cotes, a key of _data/authors.yml"
    assert "{:" not in text and "w=" not in text, '{: w="700" h="400" .shadow } is dropped'
    assert not [w for w in report["warnings"] if "chirpy" in w]
    assert sorted(t.name for t in post.tags.all()) == ["Blogging", "Tutorial", "writing"]
    assert redirects()["/blogging/tutorial/2022/08/08/chirpy-style.html"] == post.pk


@pytest.mark.django_db
def test_a_liquid_loop_listing_the_sites_posts_is_dropped_not_shown_as_code(tmp_path):
    _site, report, _err = imported_as_a_new_user("minima", tmp_path)
    blog = page_for("minima/blog.md")
    assert "All posts:" in text_of(blog) and "post.title" not in text_of(blog)
    assert not [b for b in blog.body if b.block_type == "code"]
    assert any(
        w.startswith("blog.md:9: a listing of pages (site.posts)") for w in report["warnings"]
    )


@pytest.mark.django_db
def test_a_draft_gets_no_redirect_since_its_old_url_was_never_public(tmp_path):
    imported_as_a_new_user("minima", tmp_path)
    draft_ids = {page_for(k).pk for k in ("minima/_drafts/unfinished-thoughts.md",)}
    assert not draft_ids & set(redirects().values())


# --- Hugo: a PaperMod blog with a configuration directory -------------------------------


@pytest.mark.django_db
def test_a_hugo_site_root_with_a_config_directory_imports_its_content_folder(tmp_path):
    site, report, _err = imported_as_a_new_user("papermod", tmp_path)
    assert report["family"] == "hugo", "config/_default/hugo.toml names the family"
    assert report["failed"] == [], "archetypes/default.md is a template, not content"
    files = outcomes(report)
    for outside in ("../archetypes/", "../config/", "../layouts/", "../themes/", "../README.md"):
        assert files[outside][0] == "skipped" and "outside the content folder" in files[outside][1]
    content = [p for p in (site / "content").rglob("*.md")]
    assert {p.relative_to(site / "content").as_posix() for p in content} <= set(files)
    assert files["headless/index.md"][0] == "resource", "headless: true"
    home = ImportSource.objects.get(key="content/").page.specific
    assert (home.slug, home.title) == ("papermod", "PaperMod blog"), "the site's folder and title"
    for path in content:
        rel = path.relative_to(site / "content").as_posix()
        if rel != "headless/index.md":
            title = re.search(
                r"""^\s*"?title"?\s*[:=]\s*["']?(.*?)["']?,?\s*$""", path.read_text(), re.M
            )
            assert page_for(f"content/{rel}").title == title.group(1), rel


@pytest.mark.django_db
def test_hugo_permalinks_params_and_static_from_the_config_directory_apply(tmp_path):
    imported_as_a_new_user("papermod", tmp_path)
    first = page_for("content/posts/first-post.md")
    bundle = page_for("content/posts/bundle-post/index.md")
    old = redirects()
    assert old["/2023/01/my-first-post"] == first.pk, "permalinks: posts = /:year/:month/:slug/"
    assert old["/2023/02/bundled"] == bundle.pk and old["/old/bundle"] == bundle.pk
    assert old["/special/custom"] == page_for("content/posts/custom-url.md").pk, "url:"
    assert "made with Gizmo" in text_of(first), "{{< param product >}} from params.toml"
    assert first.hero_image is not None, "cover: {image: /images/cover.png} from static/"
    assert page_for("content/posts/json-post.md").hero_image is None
    assert [b.value["image"] is not None for b in first.body if b.block_type == "image"] == [True]
    assert sorted(t.name for t in first.tags.all()) == ["Getting started", "blog", "first", "hugo"]


@pytest.mark.django_db
def test_a_hugo_top_level_folder_without_an_index_is_still_a_section_at_its_old_url(tmp_path):
    imported_as_a_new_user("papermod", tmp_path)
    posts = ImportSource.objects.get(key="content/posts/").page.specific
    assert isinstance(posts, SectionPage) and (posts.slug, posts.title) == ("posts", "Posts")
    assert page_for("content/posts/first-post.md").get_parent().pk == posts.pk
    about = page_for("content/about.md")
    assert f'linktype="page" id="{posts.pk}"' in text_of(about), "[here](/posts/)"
    assert redirects()["/posts"] == posts.pk


@pytest.mark.django_db
def test_a_relref_to_a_section_folder_and_a_tweet_shortcode_are_converted(tmp_path):
    _site, report, _err = imported_as_a_new_user("papermod", tmp_path)
    first = page_for("content/posts/first-post.md")
    posts = ImportSource.objects.get(key="content/posts/").page
    assert f'linktype="page" id="{posts.pk}"' in text_of(first), '{{< relref "/posts" >}}'
    assert "https://x.com/SanDiegoZoo/status/1453110110599868418" in text_of(first)
    assert not [w for w in report["warnings"] if "first-post" in w]


@pytest.mark.django_db
def test_hugo_and_zola_term_pages_redirect_to_the_tag_pages(tmp_path):
    imported_as_a_new_user("papermod", tmp_path)
    links = {r.old_path: r.redirect_link for r in Redirect.objects.exclude(redirect_link="")}
    assert links["/categories/blog"] == "/tags/blog/"
    assert links["/series/getting-started"] == "/tags/getting-started/"
    assert "/tags/hugo" not in links, "the same address as Jamtail's tag page"
    _out, err, error = run_command(str(copy_fixture("zola-blog", tmp_path / "z")))
    assert error is None, err
    links = {r.old_path: r.redirect_link for r in Redirect.objects.exclude(redirect_link="")}
    assert links["/categories/meta"] == "/tags/meta/"


@pytest.mark.django_db
@pytest.mark.parametrize("family", ["hugo", "jekyll"])
def test_a_post_dated_in_the_future_is_a_draft_as_the_old_site_did_not_show_it(tmp_path, family):
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    config = {"hugo": ("hugo.toml", 'title = "F"\n'), "jekyll": ("_config.yml", "title: F\n")}
    name, text = config[family]
    site = write_tree(
        tmp_path / family,
        {
            name: text,
            "posts/_index.md": "---\ntitle: Posts\n---\n",
            "posts/soon.md": f"---\ntitle: Soon\ndate: {later}\n---\nLater.\n",
            "posts/past.md": "---\ntitle: Past\ndate: 2020-01-01\n---\nBefore.\n",
        },
    )
    _out, err, error = run_command(str(site))
    assert error is None, err
    assert not page_for(f"{family}/posts/soon.md").live
    assert page_for(f"{family}/posts/past.md").live
    assert f"dated in the future ({later})" in err


@pytest.mark.django_db
def test_hugo_json_front_matter_publish_dates_drafts_and_expired_posts(tmp_path):
    _site, report, _err = imported_as_a_new_user("papermod", tmp_path)
    json_post = page_for("content/posts/json-post.md")
    assert isinstance(json_post, ArticlePage) and json_post.title == "Front matter in JSON"
    assert "title" not in text_of(json_post)
    scheduled = page_for("content/posts/scheduled.md")
    assert isinstance(scheduled, ArticlePage) and scheduled.date == dt.date(2023, 4, 4)
    assert not page_for("content/posts/draft-post.md").live
    assert not page_for("content/posts/expired.md").live, "expiryDate passed: Hugo hid it"
    assert any("expiryDate has passed" in w for w in report["warnings"])


@pytest.mark.django_db
def test_a_multilingual_hugo_site_imports_its_default_language_and_reports_translations(tmp_path):
    _site, report, _err = imported_as_a_new_user("hugo-multilingual", tmp_path)
    files = outcomes(report)
    for translation in ("_index.fr.md", "posts/hello.fr.md", "posts/trip/index.fr.md"):
        outcome, reason = files[translation]
        assert outcome == "skipped" and reason.startswith("translation (fr)"), translation
    trip = page_for("content/posts/trip/index.md")
    assert isinstance(trip, ArticlePage), "index.fr.md beside index.md leaves it a page bundle"
    assert [b.value["image"] is not None for b in trip.body if b.block_type == "image"] == [True]
    posts = ImportSource.objects.get(key="content/posts/").page.specific
    assert isinstance(posts, SectionPage) and trip.get_parent().pk == posts.pk
    assert posts.get_parent().pk == page_for("content/_index.md").pk
    old = redirects()
    assert (
        old["/2022/a-trip"] == trip.pk
        and old["/2022/hello"] == page_for("content/posts/hello.md").pk
    )
    walk = page_for("content/posts/walk/index.en.md")
    assert isinstance(walk, ArticlePage) and walk.slug == "walk", "index.en.md is a bundle's index"
    assert [b.value["image"] is not None for b in walk.body if b.block_type == "image"] == [True]
    about = page_for("content/about.en.md")
    assert about.slug == "about" and old["/about"] == about.pk
    assert files["about.fr.md"][0] == "skipped"


@pytest.mark.django_db
def test_a_hugo_site_with_a_content_folder_per_language_imports_the_default_one(tmp_path):
    site = write_tree(
        tmp_path / "langdirs",
        {
            "hugo.toml": """\
                defaultContentLanguage = "en"
                [languages.en]
                contentDir = "content/english"
                [languages.de]
                contentDir = "content/deutsch"
                """,
            "content/english/posts/one.md": "---\ntitle: One\ndate: 2020-01-01\n---\nOne.\n",
            "content/deutsch/posts/one.md": "---\ntitle: Eins\ndate: 2020-01-01\n---\nEins.\n",
        },
    )
    report_file = tmp_path / "report.json"
    _out, err, error = run_command(str(site), "--report", str(report_file))
    assert error is None, err
    files = outcomes(json.loads(report_file.read_text()))
    assert files["../../content/deutsch/"][1].startswith("translation (de)")
    one = page_for("english/posts/one.md")
    assert one.title == "One" and redirects()["/posts/one"] == one.pk, "no /english/ prefix"


@pytest.mark.django_db
def test_docs_theme_shortcodes_become_quotes_details_tabs_and_raw_html(tmp_path):
    site = write_tree(
        tmp_path / "book",
        {
            "hugo.toml": 'title = "Book"\n',
            "content/docs/_index.md": "---\ntitle: Docs\n---\n",
            "content/docs/install.md": """\
                ---
                title: Install
                ---
                {{< hint warning >}}
                Mind the `{{ version }}`:

                ```sh
                echo "{{< not-a-shortcode >}}"
                ```
                {{< /hint >}}

                {{% notice info "Heads up" %}}
                Read [the docs](/docs/).
                {{% /notice %}}

                {{< tabs >}}
                {{< tab "macOS" >}}
                brew install hugo
                {{< /tab >}}
                {{< /tabs >}}

                {{< expand "More" >}}
                Hidden.
                {{< /expand >}}

                {{< rawhtml >}}<p class="x">Raw words</p>{{< /rawhtml >}}
                """,
        },
    )
    report_file = tmp_path / "report.json"
    _out, err, error = run_command(str(site), "--report", str(report_file))
    assert error is None, err
    page = page_for("content/docs/install.md")
    quotes = [b.value["text"].source for b in page.body if b.block_type == "quote"]
    assert quotes[0].startswith("<p><b>Warning:</b> Mind the <code>{{ version }}</code>")
    assert "not-a-shortcode" in quotes[0] and "<pre>" in quotes[0], "code inside stays code"
    assert quotes[1].startswith('<p><b>Heads up:</b> Read <a linktype="page"')
    text = text_of(page)
    assert "<b>macOS</b>" in text and "brew install hugo" in text
    assert "<details><summary>More</summary>" in text and "Raw words" in text
    assert json.loads(report_file.read_text())["warnings"] == []


@pytest.mark.django_db
def test_a_mkdocs_material_site_imports_its_docs_with_admonitions_as_quotes(tmp_path):
    _site, report, _err = imported_as_a_new_user("mkdocs-material", tmp_path)
    files = outcomes(report)
    assert report["failed"] == [] and files["../README.md"][0] == "skipped"
    assert files["../mkdocs.yml"][0] == "skipped", "!!python/name tags do not stop the import"
    home = page_for("docs/index.md")
    assert (home.slug, home.title) == ("mkdocs-material", "My Docs"), "site_name"
    start, writing = page_for("docs/getting-started.md"), page_for("docs/user-guide/writing.md")
    assert (start.title, writing.title) == ("Getting started", "Writing your docs"), "# heading"
    note = next(b.value["text"].source for b in start.body if b.block_type == "quote")
    assert note.startswith("<p><b>Before you start:</b> You need <b>Python 3.8</b>")
    assert "pip" in note and "<pre>" in note, "the fenced code inside the admonition"
    assert "<details><summary>A hidden tip</summary>" in text_of(start), "??? is collapsible"
    assert "!!!" not in text_of(writing) and f'id="{home.pk}"' in text_of(writing)
    assert redirects()["/user-guide/writing"] == writing.pk


# --- Eleventy: the eleventy-base-blog starter ---------------------------------------------


@pytest.mark.django_db
def test_an_eleventy_base_blog_imports_from_the_input_folder_its_config_names(tmp_path):
    site, report, _err = imported_as_a_new_user("eleventy-base-blog", tmp_path)
    assert report["family"] == "eleventy" and report["failed"] == []
    files = outcomes(report)
    assert files["../README.md"][0] == "skipped", "dir.input is content/: README is not a page"
    assert files["blog/blog.11tydata.js"] == (
        "skipped",
        "Eleventy directory data file (front matter for the folder's templates)",
    )
    home = ImportSource.objects.get(key="content/").page.specific
    assert home.title == "Eleventy Base Blog v9", "_data/metadata.js title"
    for path in (site / "content" / "blog").rglob("*.md"):
        rel = path.relative_to(site / "content").as_posix()
        title = re.search(r"^title:\s*(.*?)\s*$", path.read_text(), re.M)
        assert page_for(f"content/{rel}").title == title.group(1), rel


@pytest.mark.django_db
def test_eleventy_date_keywords_and_permalink_false_neither_fail_nor_publish(tmp_path):
    imported_as_a_new_user("eleventy-base-blog", tmp_path)
    draft = page_for("content/blog/draftpost.md")
    assert isinstance(draft, ArticlePage) and not draft.live, "date: git Last Modified"
    assert not page_for("content/blog/hidden.md").live, "permalink: false wrote no page"


@pytest.mark.django_db
def test_eleventy_permalink_templates_and_folder_named_files_keep_their_old_urls(tmp_path):
    imported_as_a_new_user("eleventy-base-blog", tmp_path)
    old = redirects()
    assert old["/thirdpost"] == page_for("content/blog/thirdpost.md").pk, "{{ page.fileSlug }}"
    assert old["/blog/fifthpost"] == page_for("content/blog/fifthpost/fifthpost.md").pk
    assert old["/blog/firstpost"] == page_for("content/blog/firstpost.md").pk
    second = page_for("content/blog/secondpost.md")
    first = page_for("content/blog/firstpost.md")
    assert f'linktype="page" id="{first.pk}"' in text_of(second), "{{ '/blog/...' | url }}"
    assert [t.name for t in second.tags.all()] == ["number 2"], "tags: number 2 is one tag"
    logo = [b.value["image"] for b in first.body if b.block_type == "image"]
    assert logo and logo[0] is not None, "/img/logo.png from public/, passed through to /"
    not_found = page_for("content/404.md")
    assert 'href="/eleventy-base-blog/"' in text_of(not_found), "{{ '/' | url }}: the home"
    for source in ImportSource.objects.filter(key__startswith="content/"):
        assert LEAK.findall(text_of(source.page.specific)) == [], source.key


@pytest.mark.django_db
def test_eleventy_image_and_highlight_shortcodes_and_data_file_variables(tmp_path):
    imported_as_a_new_user("eleventy-base-blog", tmp_path)
    post = page_for("content/blog/fourthpost.md")
    assert [b.block_type for b in post.body] == ["paragraph", "image", "code"]
    assert "Posted on Eleventy Base Blog v9." in text_of(post), "{{ metadata.title }}"
    assert post.body[1].value["alt"] == "A possum hanging from a balloon"
    assert post.body[2].value["language"] == "js", '{% highlight "js" %}'


@pytest.mark.django_db
def test_eleventy_directory_data_gives_a_folder_its_permalink(tmp_path):
    site = write_tree(
        tmp_path / "eleventy-dirdata",
        {
            ".eleventy.js": "module.exports = function () {};\n",
            "posts/posts.json": '{"permalink": "/articles/{{ page.fileSlug }}/", "tags": "post"}',
            "posts/hello.md": "---\ntitle: Hello\ndate: 2020-02-02\n---\nHi.\n",
            "posts/own.md": "---\ntitle: Own\ndate: 2020-02-03\npermalink: /own/\n---\n",
            "notes/notes.11tydata.js": "module.exports = { draft: true, layout: 'note.njk' };\n",
            "notes/wip.md": "---\ntitle: WIP\n---\n",
        },
    )
    _out, err, error = run_command(str(site))
    assert error is None, err
    hello, own = (
        page_for("eleventy-dirdata/posts/hello.md"),
        page_for("eleventy-dirdata/posts/own.md"),
    )
    assert redirects()["/articles/hello"] == hello.pk and redirects()["/own"] == own.pk
    assert [t.name for t in hello.tags.all()] == [], "the posts collection is not a subject"


@pytest.mark.django_db
def test_an_eleventy_3_input_directory_and_index_html_permalinks(tmp_path):
    site = write_tree(
        tmp_path / "eleventy3",
        {
            "eleventy.config.js": 'export default (c) => {\n  c.setInputDirectory("src");\n};\n',
            "README.md": "# Readme\n",
            "src/posts/hi.md": "---\ntitle: Hi\ndate: 2024-01-01\n"
            'permalink: "{{ page.filePathStem }}/index.html"\n---\nHi.\n',
        },
    )
    report_file = tmp_path / "report.json"
    _out, err, error = run_command(str(site), "--report", str(report_file))
    assert error is None, err
    assert outcomes(json.loads(report_file.read_text()))["../README.md"][0] == "skipped"
    assert redirects()["/posts/hi"] == page_for("src/posts/hi.md").pk


@pytest.mark.django_db
def test_an_eleventy_path_prefix_is_part_of_the_old_urls(tmp_path):
    site = write_tree(
        tmp_path / "prefixed",
        {
            ".eleventy.js": 'module.exports = () => ({ pathPrefix: "/docs/" });\n',
            "guide.md": "---\ntitle: Guide\n---\nSee [the guide](/docs/guide/).\n",
        },
    )
    _out, err, error = run_command(str(site), "--slug", "new")
    assert error is None, err
    guide = page_for("prefixed/guide.md")
    assert redirects()["/docs/guide"] == guide.pk
    assert f'id="{guide.pk}"' in text_of(guide)


@pytest.mark.django_db
def test_a_page_without_a_title_takes_its_first_level_one_heading(tmp_path):
    imported_as_a_new_user("eleventy-base-blog", tmp_path)
    assert page_for("content/about.md").title == "About"
    assert page_for("content/404.md").title == "Content not found."


# --- Zola: a blog with taxonomies, transparent sections and co-located assets ------------


@pytest.mark.django_db
def test_a_zola_site_root_imports_its_content_with_internal_links_and_old_urls(tmp_path):
    _site, report, _err = imported_as_a_new_user("zola-blog", tmp_path)
    assert report["family"] == "zola" and report["failed"] == []
    assert outcomes(report)["../templates/"][0] == "skipped"
    first = page_for("content/blog/first.md")
    image_post = page_for("content/blog/with-image/index.md")
    notes = page_for("content/notes/_index.md")
    body = text_of(first)
    assert f'id="{image_post.pk}"' in body and f'id="{notes.pk}"' in body, "@/ links"
    assert sorted(t.name for t in first.tags.all()) == ["meta", "rust", "zola"]
    assert [b.value["image"] is not None for b in first.body if b.block_type == "image"] == [True]
    old = redirects()
    assert old["/blog/first"] == first.pk and old["/old/with-image"] == image_post.pk
    assert old["/n/one"] == page_for("content/notes/2021/note-one.md").pk, "path ="
    quote = next(b.value["text"].source for b in first.body if b.block_type == "quote")
    assert quote == "<p><b>Info:</b> A body shortcode.</p>", '{% note(kind="info") %}...{% end %}'
    images = [b.value for b in image_post.body if b.block_type == "image"]
    assert [(i["alt"], i["caption"], i["image"] is not None) for i in images] == [
        ("A shot", "", True),
        ("", "", True),
        ("Shot", "The shot", True),
    ], "Markdown, resize_image(path=...) from the content folder, a theme's image(src=...)"
    assert any("mastodon" in w for w in report["warnings"]), "an unknown one is reported"
    dated = page_for("content/blog/2021-06-01-dated-name.md")
    assert (dated.slug, dated.date) == ("dated-name", dt.date(2021, 6, 1))
    assert not page_for("content/notes/draft.md").live


# --- naming the family and the configuration ----------------------------------------------


NAMED = [
    ("papermod", "content", "--config config/_default/hugo.toml", "content/posts/first-post.md"),
    (
        "papermod",
        "",
        "--format hugo --config config/_default/params.toml",
        "content/posts/scheduled.md",
    ),
    ("minima", "", "--format jekyll --config _config.yml", "minima/_posts/2020-01-05-with-slug.md"),
    ("eleventy-base-blog", "", "--config eleventy.config.js", "content/blog/thirdpost.md"),
    ("zola-blog", "content", "--format zola --config config.toml", "content/blog/first.md"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("fixture", "folder", "args", "key"), NAMED)
def test_naming_the_family_and_config_imports_the_same_pages(tmp_path, fixture, folder, args, key):
    site = copy_fixture(fixture, tmp_path)
    named = [str(site / a) if "." in a else a for a in args.split()]
    _out, err, error = run_command(str(site / folder) if folder else str(site), *named)
    assert error is None, err
    page = page_for(key)
    assert page.live and page.pk in redirects().values()


@pytest.mark.django_db
def test_a_self_closing_shortcode_does_not_swallow_the_text_after_it(tmp_path):
    """Hugo's docs write ``{{< code-toggle config=markup.goldmark />}}`` (one tag) and,
    further down, a paired ``code-toggle``: the heading between them stays a heading."""
    site = write_tree(
        tmp_path / "docs",
        {
            "hugo.toml": 'title = "Docs"\n',
            "content/markup.md": """\
                ---
                title: Markup
                ---
                {{< code-toggle config=markup.goldmark />}}

                ### Extensions

                Enabled by default.

                {{< code-toggle file=hugo >}}
                [markup]
                defaultMarkdownHandler = 'goldmark'
                {{< /code-toggle >}}
                """,
        },
    )
    _out, err, error = run_command(str(site))
    assert error is None, err
    page = page_for("content/markup.md")
    headings = [b.value["text"] for b in page.body if b.block_type == "heading"]
    assert headings == ["Extensions"]
    code = [b.value["code"] for b in page.body if b.block_type == "code"]
    assert any("defaultMarkdownHandler" in c for c in code)
    assert not any("Extensions" in c for c in code)


@pytest.mark.django_db
def test_a_link_to_a_tag_that_cannot_be_converted_keeps_its_text_and_links_nowhere(tmp_path):
    """Hugo's docs point links at a site shortcode (``eturl``) the importer cannot run:
    inline or by reference, the link's text stays, with a warning, and no link leads to
    the tag's code."""
    site = write_tree(
        tmp_path / "docs",
        {
            "hugo.toml": 'title = "Docs"\n',
            "content/urls.md": """\
                ---
                title: URLs
                ---
                See the [embedded alias template] and the [feed][rss], or
                [the sitemap](<{{% eturl sitemap %}}>). [Kept](https://gohugo.io/).

                [embedded alias template]: <{{% eturl alias %}}>
                [rss]: {{% eturl rss %}}
                """,
        },
    )
    _out, err, error = run_command(str(site))
    assert error is None, err
    page = page_for("content/urls.md")
    (paragraph,) = [b.value.source for b in page.body if b.block_type == "paragraph"]
    assert paragraph == (
        "<p>See the embedded alias template and the feed, or\nthe sitemap. "
        '<a href="https://gohugo.io/">Kept</a>.</p>'
    )
    assert "eturl" in err, "each tag left out is reported"
