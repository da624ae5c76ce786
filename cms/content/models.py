"""Page types, the Author snippet, site settings and the importer's bookkeeping.

Each page type previews through the front end (``HeadlessPreviewMixin``, see preview.py), has
its URLs on the static site (``SitePage``, see headless.py) and
declares ``api_fields`` (what the builder reads through
``/api/v2/pages/?type=content.<Type>&fields=*``) and ``search_fields``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.text import slugify
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from rest_framework import serializers
from taggit.models import TaggedItemBase
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtail_headless_preview.models import HeadlessPreviewMixin

from cms.comments.models import approved_comments
from cms.comments.panels import ReaderCommentsPanel
from cms.comments.serializers import CommentsField

from .blocks import INLINE_FEATURES, BodyBlock
from .headless import SitePage
from .images import ImageRenditionsField
from .preview_links import PreviewLink  # noqa: F401  (a model of this app)


class AuthorsField(serializers.Field):
    """The ordered authors of an article as ``[{"id", "name", "slug"}]``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, page: Any) -> list[dict[str, Any]]:
        return [
            {"id": link.author.pk, "name": link.author.name, "slug": link.author.slug}
            for link in page.article_authors.all()
            if link.author is not None
        ]


class TagsField(serializers.Field):
    """Tags as ``[{"name", "slug"}]`` so the builder can make tag pages.

    Reads the through model (``tagged_items``) so a prefetch serves it.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, page: Any) -> list[dict[str, str]]:
        return sorted(
            ({"name": i.tag.name, "slug": i.tag.slug} for i in page.tagged_items.all()),
            key=lambda t: t["name"].lower(),
        )


@register_snippet
class Author(index.Indexed, models.Model):
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=True)
    bio = RichTextField(blank=True, features=INLINE_FEATURES)
    url = models.URLField(blank=True, help_text="The author's home page or profile.")
    avatar = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("bio"),
        FieldPanel("url"),
        FieldPanel("avatar"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]
    api_fields = [
        APIField("name"),
        APIField("slug"),
        APIField("bio"),
        APIField("url"),
        APIField("avatar", serializer=ImageRenditionsField()),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.name, allow_unicode=True) or "author"
        super().save(*args, **kwargs)


class HomePage(SitePage, HeadlessPreviewMixin, Page):
    intro = RichTextField(blank=True, features=INLINE_FEATURES)
    body = StreamField(BodyBlock(), blank=True)

    max_count = 1
    subpage_types = ["content.SectionPage", "content.StandardPage"]
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    api_fields = [APIField("intro"), APIField("body")]


class SectionPage(SitePage, HeadlessPreviewMixin, Page):
    """A listing (a blog, a news section, the docs) of the pages below it."""

    description = models.TextField(blank=True, help_text="One or two sentences: meta description.")
    intro = RichTextField(blank=True, features=INLINE_FEATURES)
    per_page = models.PositiveSmallIntegerField(
        default=10, help_text="Entries per listing page in the static site."
    )
    order = models.CharField(
        max_length=10,
        choices=[("-date", "Newest first"), ("tree", "As in the page tree")],
        default="-date",
        help_text="How the listing orders its entries.",
    )

    subpage_types = ["content.ArticlePage", "content.SectionPage", "content.StandardPage"]
    content_panels = [
        *Page.content_panels,
        FieldPanel("description"),
        FieldPanel("intro"),
        MultiFieldPanel([FieldPanel("per_page"), FieldPanel("order")], heading="Listing"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("description"),
        index.SearchField("intro"),
    ]
    api_fields = [
        APIField("description"),
        APIField("intro"),
        APIField("per_page"),
        APIField("order"),
    ]


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticlePage(SitePage, HeadlessPreviewMixin, Page):
    """A dated piece of writing: a blog post, an announcement, a release note."""

    # What the API listing loads in bulk instead of per page (see api.py).
    api_select_related = ("hero_image",)
    api_prefetch_related = (
        "article_authors__author",
        "tagged_items__tag",
        "hero_image__renditions",
        approved_comments(),
    )

    date = models.DateField("publication date")
    summary = models.TextField(blank=True, help_text="Shown in listings, feeds and previews.")
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BodyBlock(), blank=True)
    tags = ClusterTaggableManager(through=ArticleTag, blank=True)

    parent_page_types = ["content.SectionPage"]
    subpage_types: list[str] = []
    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("date"),
                InlinePanel("article_authors", label="Author"),
                FieldPanel("tags"),
            ],
            heading="Byline",
        ),
        FieldPanel("summary"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
        ReaderCommentsPanel(heading="Reader comments"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]
    api_fields = [
        APIField("date"),
        APIField("summary"),
        APIField("authors", serializer=AuthorsField()),
        APIField("tags", serializer=TagsField()),
        APIField("hero_image", serializer=ImageRenditionsField()),
        APIField("body"),
        APIField("last_published_at"),
        APIField("comments", serializer=CommentsField()),
    ]

    class Meta:
        ordering = ["-date"]


class ArticleAuthor(Orderable):
    page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="article_authors")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("author")]


class StandardPage(SitePage, HeadlessPreviewMixin, Page):
    """A page that is not dated or listed by date: about, documentation, legal."""

    summary = models.TextField(blank=True)
    body = StreamField(BodyBlock(), blank=True)

    subpage_types = ["content.StandardPage", "content.SectionPage"]
    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    api_fields = [APIField("summary"), APIField("body"), APIField("last_published_at")]


class SocialLinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=50)
    url = blocks.URLBlock()


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    site_name = models.CharField(max_length=255, default="Jamtail")
    tagline = models.CharField(max_length=255, blank=True)
    description = models.TextField(
        blank=True,
        help_text="One or two sentences about the site: the meta description of pages "
        "without one of their own (the home page, search, tag and author pages).",
    )
    base_url = models.URLField(
        blank=True,
        help_text="The public address of the static site, e.g. https://example.org "
        "(canonical links, sitemap, feeds).",
    )
    language = models.CharField(max_length=20, default="en")
    social_links = StreamField([("link", SocialLinkBlock())], blank=True)

    panels = [
        FieldPanel("site_name"),
        FieldPanel("tagline"),
        FieldPanel("description"),
        FieldPanel("base_url"),
        FieldPanel("language"),
        FieldPanel("social_links"),
    ]

    def as_api_dict(self) -> dict[str, Any]:
        """Plain-data form served at ``/api/v2/site-settings/``."""
        return {
            "site_name": self.site_name,
            "tagline": self.tagline,
            "description": self.description,
            "base_url": self.base_url.rstrip("/"),
            "language": self.language,
            "social_links": [
                {"label": link.value["label"], "url": link.value["url"]}
                for link in self.social_links
            ],
        }


class ImportSource(models.Model):
    """Which page a Markdown file became, so re-running an import updates in place."""

    key = models.CharField(max_length=1024, unique=True, help_text="<import root name>/<rel path>")
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the file and its images.")
    imported_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key
