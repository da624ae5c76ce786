"""Content models: the page tree rules, authors, search fields, and migrations in sync."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from cms.content.models import ArticlePage, Author, HomePage, SectionPage, StandardPage
from tests.factories import demo_site

pytestmark = pytest.mark.django_db


def test_migrations_match_the_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_default_site_is_rooted_at_the_one_home_page():
    home = HomePage.objects.get()
    assert home.get_site().is_default_site
    assert not HomePage.can_create_at(home)  # max_count = 1


def test_articles_live_only_in_sections():
    assert ArticlePage.can_create_at(SectionPage(title="s", slug="s"))
    assert not ArticlePage.can_create_at(HomePage.objects.get())
    assert not ArticlePage.can_create_at(StandardPage(title="p", slug="p"))
    assert SectionPage.can_create_at(HomePage.objects.get())


def test_authors_get_a_slug_from_their_name():
    author = Author.objects.create(name="Tomás Ferreira")
    assert author.slug == "tomás-ferreira"
    assert str(author) == "Tomás Ferreira"


def test_published_articles_are_searchable_by_body_and_tags():
    demo_site()
    backend = get_search_backend()
    results = backend.search("Tim Peters", ArticlePage)
    assert [page.title for page in results] == ["Hello Jamtail"]
    assert "Hello Jamtail" in [p.title for p in backend.search("python", ArticlePage)]


@pytest.mark.parametrize(
    "html",
    [
        "<p>hello</p><p>world</p>",
        '<h2>Title</h2><ul><li>one</li><li>two &amp; <a href="/x">three</a></li></ul>',
        "<blockquote>q</blockquote>line<br/>break<hr />rule &lt;tag&gt; &quot;x&quot; caf&eacute;",
        '<p>a <!-- hidden --> <embed embedtype="image" id="3"/> <code>x &lt; y</code></p>',
        "plain text, no tags",
        "",
    ],
)
def test_rich_text_is_indexed_as_wagtail_would_index_it(html):
    from wagtail.rich_text import get_text_for_indexing

    from cms.content.blocks import text_for_indexing

    assert text_for_indexing(html) == get_text_for_indexing(html)


CHOICES = [
    ("2", "Level 2"),
    (3, "Three, an int key"),
    ("Group", [("a", "A"), ("2", "a key already given")]),
    ("", "blank"),
]


@given(st.one_of(st.none(), st.integers(-3, 5), st.sampled_from(["2", "3", "a", "", "b"])))
def test_a_fixed_choice_block_reads_values_as_wagtails_choice_block_does(value):
    from wagtail import blocks

    from cms.content.blocks import FixedChoiceBlock

    ours, wagtails = FixedChoiceBlock(choices=CHOICES), blocks.ChoiceBlock(choices=CHOICES)
    expected = wagtails.to_python(value)
    assert ours.to_python(value) == expected
    assert type(ours.to_python(value)) is type(expected)  # 3 stays an int, "3" becomes one
    assert ours.deconstruct() == wagtails.deconstruct()  # migrations see a ChoiceBlock


def test_unpublished_pages_are_not_live():
    site = demo_site()
    assert not Page.objects.get(pk=site["draft"].pk).live
    site["posts"][0].unpublish()
    assert ArticlePage.objects.live().filter(pk=site["posts"][0].pk).count() == 0
    assert site["posts"][0].date == dt.date(2026, 3, 1)
