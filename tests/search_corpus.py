"""Page dicts from a Markdown folder, for the search index, without a CMS.

The importer's own pure stages read the folder (``plan_import``: front
matter, slugs, tree) and turn Markdown into StreamField block data
(``markdown_to_blocks``), so the pages have the shape the build's plan gives
the search output: ``id``, ``type``, ``title``, ``url``, ``parent_url``,
``date``, ``summary``/``description``, ``body`` (blocks), ``tags`` and
``authors`` as ``{"name", "slug"}``. Images and links stay as they are
written (no Wagtail library), which changes no text.

Importing ``cms.importer`` needs Django's settings (``cms.settings``), but
no database: :func:`markdown_pages` sets them up when they are not yet.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SITE = {
    "name": "Corpus",
    "tagline": "",
    "base_url": "",
    "language": "en",
    "social_links": [],
    "nav": [],
}
_TYPES = {"section": "SectionPage", "article": "ArticlePage", "standard": "StandardPage"}


class _KeepLinks:
    """The importer's resolver protocol, resolving nothing: links and images stay URLs."""

    def link(self, href: str) -> None:
        return None

    def image(self, src: str, alt: str) -> None:
        return None

    def file_url(self, href: str) -> None:
        return None


def _setup_django() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
        django.setup()


def markdown_pages(root: Path, slug: str = "blog", first_id: int = 2) -> list[dict[str, Any]]:
    """A home page (id 1, ``/``) and every page under ``root``, at ``/<slug>/...``, tree order.

    Drafts (``draft = true``) are left out, as the CMS leaves them unpublished.
    """
    _setup_django()
    from cms.importer.markdown import markdown_to_blocks
    from cms.importer.plan import plan_import
    from cms.importer.slugs import make_slug

    plan = plan_import(root, slug)
    urls: dict[str | None, str] = {None: "/"}
    pages: list[dict[str, Any]] = [
        {"id": 1, "type": "HomePage", "title": "Home", "url": "/", "parent_url": None, "body": []}
    ]
    for number, planned in enumerate(plan.pages, start=first_id):
        if planned.doc.draft or planned.parent_key not in urls:
            continue  # never published, like its pages
        parent_url = urls[planned.parent_key]
        url = f"{parent_url}{planned.slug}/"
        urls[planned.key] = url
        doc = planned.doc
        page: dict[str, Any] = {
            "id": number,
            "type": _TYPES[planned.kind],
            "title": planned.title,
            "slug": planned.slug,
            "url": url,
            "parent_url": parent_url,
            "body": markdown_to_blocks(planned.tokens, _KeepLinks()),
        }
        if planned.kind == "section":
            page["description"] = doc.summary
        else:
            page["summary"] = doc.summary
            page["date"] = doc.date
            page["tags"] = [{"name": t, "slug": make_slug(t)} for t in doc.tags]
            page["authors"] = [{"name": a, "slug": make_slug(a)} for a in doc.authors]
        pages.append(page)
    return pages
