"""Build small, complete sites in the test database through Wagtail's own API (no fixtures)."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction

from cms.content.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    HomePage,
    SectionPage,
    SiteSettings,
    StandardPage,
)


def make_image(title: str = "Sunset", size: tuple[int, int] = (1600, 900), color=(200, 90, 40)):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "PNG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(buffer, name=f"{title.lower()}.png")
    )


def publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def article(section, title, date, *, body=None, tags=(), authors=(), **fields) -> ArticlePage:
    page = ArticlePage(title=title, date=date, body=body or [], **fields)
    for author in authors:
        page.article_authors.add(ArticleAuthor(author=author))
    page.tags.add(*tags)
    return publish(section, page)


def demo_site(per_page: int = 2) -> dict:
    """A site with every page type, every block, a draft, a private page and a redirect."""
    home = HomePage.objects.get(depth=2)
    settings = SiteSettings.for_site(home.get_site())
    settings.site_name = "Test Site"
    settings.tagline = "Testing Jamtail"
    settings.description = "A site the tests build: every page type and block."
    settings.base_url = "https://example.org"
    settings.save()
    image = make_image()
    ada = Author.objects.create(name="Ada Lindqvist")
    mei = Author.objects.create(name="Mei Chen")
    blog = publish(
        home, SectionPage(title="Blog", slug="blog", description="News", per_page=per_page)
    )
    body = [
        ("heading", {"text": "First steps", "level": "2", "anchor": ""}),
        ("paragraph", f'<p>Read the <a linktype="page" id="{blog.id}">blog</a>.</p>'),
        ("image", {"image": image, "alt": "An orange sunset", "caption": "Sunset"}),
        ("code", {"language": "python", "code": "def hello():\n    return 'world'\n"}),
        ("quote", {"text": "<p>Simple is better.</p>", "attribution": "Tim Peters"}),
        ("raw_html", "<details><summary>More</summary><p>Hidden</p></details>"),
        ("footnotes", [{"anchor": "fn-1", "text": "<p>A note.</p>"}]),
        (
            "definitions",
            [{"term": "`cacheDir`", "anchor": "cachedir", "definition": "<p>Caches.</p>"}],
        ),
    ]
    posts = [
        article(
            blog,
            "Hello Jamtail",
            dt.date(2026, 3, 1),
            body=body,
            tags=["news", "python"],
            authors=[ada, mei],
            summary="The first post.",
            hero_image=image,
        ),
        article(blog, "Second post", dt.date(2026, 3, 2), tags=["news"], authors=[ada]),
        article(blog, "Third post", dt.date(2026, 3, 3), authors=[mei]),
    ]
    about = publish(home, StandardPage(title="About", slug="about", summary="Who we are"))
    draft = ArticlePage(title="Secret Draft Post", date=dt.date(2026, 4, 1), live=False)
    blog.add_child(instance=draft)
    draft.save_revision()  # saved, never published
    private = article(blog, "Private Members Post", dt.date(2026, 2, 1))
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="x")
    Redirect.objects.create(old_path="/old-hello", redirect_page=posts[0], is_permanent=True)
    return {
        "home": home,
        "blog": blog,
        "posts": posts,
        "about": about,
        "draft": draft,
        "private": private,
        "image": image,
        "authors": [ada, mei],
    }
