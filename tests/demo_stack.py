"""A real CMS holding the demo content (docs/ and demo/blog/), as ``make demo`` imports it.

Shared by tests that read the demo through the API (the OpenAPI schema test, the Next front
end's comparison with the Jinja2 build); one per test session (see ``conftest.demo_cms``).
The Rust blog corpus is imported too when ``with_corpus`` and ``../shared/corpora`` has it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jamtail.build.nextjs import build_next
from jamtail.build.pipeline import BuildConfig, build
from scripts.demo import DEMO_DESCRIPTION
from tests.cms_process import CMSProcess, free_port
from tests.comments_helpers import SERVICE_TOKEN
from tests.corpora import rust_blog_content

REPO = Path(__file__).resolve().parents[1]


def start_demo_cms(data_dir: Path, with_corpus: bool = False) -> CMSProcess:
    """Migrate, import the demo content (blog listing paginated by 2), serve; return the CMS.

    The admin's Preview sends editors to ``http://127.0.0.1:{cms.site_port}/preview/``: the
    port tests serve the built site on (tests/test_next_browser.py).
    """
    cms = CMSProcess(data_dir)
    cms.site_port = free_port()
    cms.env["JAMTAIL_PREVIEW_URL"] = f"http://127.0.0.1:{cms.site_port}/preview/"
    # The comments function stores readers' comments with this token (tests/test_next_browser.py).
    cms.env["JAMTAIL_COMMENTS_TOKEN"] = SERVICE_TOKEN
    cms.manage("migrate", "--no-input", "-v0")
    cms.manage("import_markdown", "docs", "--parent", "/", "--slug", "docs")
    cms.manage("import_markdown", "demo/blog", "--parent", "/", "--slug", "blog")
    rust = rust_blog_content()
    if with_corpus and rust.is_dir():
        cms.manage("import_markdown", str(rust), "--parent", "/", "--slug", "rust-blog")
    cms.manage(
        "shell",
        "-c",
        "from cms.content.models import SectionPage; "
        "SectionPage.objects.filter(slug='blog').update(per_page=2)",
    )
    # The site description `make demo` sets (scripts/demo.py): the meta description of the
    # pages without one of their own. No base URL: the build of a site without one.
    cms.manage(
        "shell",
        "-c",
        "from wagtail.models import Site; from cms.content.models import SiteSettings; "
        "s = SiteSettings.for_site(Site.objects.get(is_default_site=True)); "
        f"s.description = {DEMO_DESCRIPTION!r}; s.save()",
    )
    cms.manage("shell", "-c", COMMENTS)
    cms.manage("shell", "-c", DEFINITIONS)
    return cms.start()


# On the newest blog article: an approved comment with an approved reply, and one pending.
COMMENTS = """
from cms.comments.models import Comment
from cms.content.models import ArticlePage
blog = ArticlePage.objects.live().filter(url_path__contains='/blog/')
page = blog.order_by('-date', 'id').first()
first = Comment.objects.create(page=page, author_name='Ada Reader', body_markdown='x',
    body_html='<p>An approved comment, baked in.</p>', status=Comment.APPROVED)
Comment.objects.create(page=page, parent=first, author_name='Bo Replier', body_markdown='x',
    body_html='<p>An approved reply.</p>', status=Comment.APPROVED)
Comment.objects.create(page=page, author_name='Cy Waiting', body_markdown='x',
    body_html='<p>A comment still waiting for moderation.</p>')
"""

# A definition list (no demo file has one: the docs are Zola's Markdown, which reads none),
# so both front ends render the block (tests/test_next_site.py).
DEFINITIONS = """
from wagtail.models import Page
page = Page.objects.get(slug='content-model', url_path__contains='/docs/').specific
page.body.append(('definitions', [{'term': '`definitions`', 'anchor': 'definitions-block',
    'definition': '<p>Terms and what they mean, as Markdown writes them.</p>'}]))
page.save_revision().publish()
"""


def preview_token(cms: CMSProcess, title: str) -> str:
    """A preview token for the newest article retitled ``title``, as the Preview button makes."""
    script = (
        "from cms.content.models import ArticlePage; "
        "p = ArticlePage.objects.live().order_by('-date', 'id').first()"
        ".get_latest_revision_as_object(); "
        f"p.title = {title!r}; print(p.create_page_preview().token)"
    )
    return cms.manage("shell", "-c", script).stdout.strip().splitlines()[-1]


def section_preview_token(cms: CMSProcess, slug: str, title: str) -> str:
    """A preview token for the section ``slug`` retitled ``title``, as the Preview button makes."""
    script = (
        "from cms.content.models import SectionPage; "
        f"p = SectionPage.objects.get(slug={slug!r}).get_latest_revision_as_object(); "
        f"p.title = {title!r}; print(p.create_page_preview().token)"
    )
    return cms.manage("shell", "-c", script).stdout.strip().splitlines()[-1]


def new_page_preview_token(cms: CMSProcess, title: str) -> str:
    """A preview token for a never-saved article under the blog, as the "add page" form makes."""
    script = (
        "import datetime; from cms.content.models import ArticlePage, SectionPage; "
        "blog = SectionPage.objects.get(slug='blog'); "
        f"page = ArticlePage(title={title!r}, slug='never-published-draft', "
        "date=datetime.date(2026, 12, 1), summary='Not yet published.', "
        "body=[('paragraph', '<p>Words nobody has read yet.</p>')]); "
        "page.depth = blog.depth + 1; last = blog.get_last_child(); "
        "page.path = last._inc_path() if last else page._get_path(blog.path, page.depth, 1); "
        "page.set_url_path(blog); print(page.create_page_preview().token)"
    )
    return cms.manage("shell", "-c", script).stdout.strip().splitlines()[-1]


def build_both(cms: CMSProcess, root: Path) -> dict[str, Path]:
    """Build the site of ``cms`` with the Jinja2 builder and with the Next front end."""
    if not (shutil.which("npm") and shutil.which("node")):
        pytest.skip("node and npm are not on PATH: the Next front end (next/) cannot be built")
    jinja = root / "jinja"
    build(BuildConfig(cms.api_url, jinja, REPO / "site", root / "jinja-cache"))
    site = root / "next"
    build_next(BuildConfig(cms.api_url, site, REPO / "site", root / "next-cache"))
    return {"jinja": jinja, "next": site}
