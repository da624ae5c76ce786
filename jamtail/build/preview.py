"""Preview: render one draft page with the static build's own stages and templates.

``render_preview(api_url, query, site_dir)`` is the whole draft preview,
shared by the ``/preview/`` function (``functions/preview.py``) and
``jamtail serve``. ``query`` is the preview link's query string: as Wagtail's
Preview button made it, ``{"content_type": "content.articlepage", "token":
"..."}``, or a shareable link's ``{"share": "..."}`` (docs/preview.md).

Stages, each the build's own:

    fetch     the draft from the CMS (``GET preview/``, the pages item shape),
              then the published neighbourhood: the site settings, the root
              page and its children (navigation), the parent and its children
              (section, previous/next), the draft's own children (listings)
    gather    :func:`jamtail.content.gather.normalise_page` on every item
    media     :class:`jamtail.content.media.MediaLocaliser`, URLs kept on the CMS
              (a draft's new image is not in the deployed site yet)
    plan      :func:`jamtail.plan.planner.plan` on that small site; the draft's output is kept
    render    :class:`jamtail.render.renderer.Renderer` with ``site/templates``,
              flags ``preview`` (the banner) and ``noindex``

The neighbourhood is published content plus the draft, never a request that
assumes a draft is public: whether the draft and its parent are live is asked
first (``pages/<id>/``, a 404 means "not published"), and only live pages'
children are listed. A parent that is not live is the stub the draft's
``meta.parent`` gives; a root that is not live is a stand-in named after the site.

Requests: about eight, whatever the size of the site (listings of the
neighbourhood are read 500 items a request).

Returns ``(status, headers, body)``, always HTML, never cached
(``Cache-Control: no-store``), never indexed (``X-Robots-Tag: noindex``),
never leaking the token in a ``Referer``: 200 and the draft; otherwise a page
in the site's look (``preview_error.html``) saying what failed, with the CMS's
own 4xx for a refused link (expired, revoked, forged, wrong page type), 503
when the CMS cannot be reached, 502 when it answers with an error, 500 when
the draft cannot be rendered.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from jamtail.content.client import CMSClient
from jamtail.content.gather import Content, normalise_page, relative_to_root
from jamtail.content.media import MediaLocaliser
from jamtail.exceptions import CMSError, CMSUnavailableError, JamtailError
from jamtail.plan import planner
from jamtail.render.assets import AssetManifest
from jamtail.render.renderer import Renderer
from jamtail.security import preview_csp

log = logging.getLogger(__name__)

Response = tuple[int, dict[str, str], str]

AGAIN = "Click Preview in the Wagtail admin again for a fresh preview link."
QUERY_KEYS = ("content_type", "token", "share")


class PreviewRefused(JamtailError):
    """The CMS refused the preview link: ``status`` and its JSON ``data`` are passed on."""

    def __init__(self, status: int, data: dict[str, Any]):
        super().__init__(data.get("message", f"the CMS refused the preview ({status})"))
        self.status, self.data = status, data


def render_preview(
    api_url: str, query: dict[str, str], site_dir: Path, frame_ancestors: str = ""
) -> Response:
    """Render the draft named by ``query``; see the module docstring for the result.

    ``frame_ancestors``: origins allowed to frame the preview (Wagtail's
    preview panel), space-separated; default the CMS's origin.
    """
    client = CMSClient(api_url, timeout=20, retries=1)
    ancestors = frame_ancestors or _origin(client.api_url)
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": preview_csp(ancestors),
    }
    settings: dict[str, Any] = {}
    try:
        return 200, headers, _render(client, query, site_dir, settings)
    except PreviewRefused as exc:
        status, problem, advice, detail = exc.status, str(exc), _advice(query), ""
    except CMSUnavailableError as exc:
        status, problem, detail = 503, "The CMS could not be reached.", str(exc)
        advice = "Try again in a moment; if it persists, tell the site's developers."
    except CMSError as exc:
        status, problem, detail = 502, "The CMS answered with an error.", str(exc)
        advice = "Try again in a moment; if it persists, tell the site's developers."
    except JamtailError as exc:
        log.error("preview failed: %s", exc)
        status, problem, detail = 500, "The draft could not be rendered.", str(exc)
        advice = "Check the page's content; the details below name what failed."
    if not settings and status != 503:
        settings.update(_settings_or_nothing(client))
    return status, headers, error_page(site_dir, settings, problem, advice, detail)


def _settings_or_nothing(client: CMSClient) -> dict[str, Any]:
    """The site settings for an error page's look; ``{}`` when the CMS cannot give them."""
    try:
        return client.get_json("site-settings/")
    except CMSError:
        return {}


def _advice(query: dict[str, str]) -> str:
    if query.get("share"):
        return "Ask the person who shared this link for a new one."
    return AGAIN


def error_page(
    site_dir: Path, settings: dict[str, Any], problem: str, advice: str, detail: str
) -> str:
    """``preview_error.html`` in the site's look; ``settings`` may be empty (CMS down)."""
    site = planner.site_context(settings, [])
    page = {"title": "Preview unavailable", "url": "/preview/", "type": "PreviewError"}
    output = planner.Output(
        "preview/index.html",
        "preview_error.html",
        {"page": page, "problem": problem, "advice": advice, "detail": detail, "noindex": True},
        "preview error",
    )
    assets = AssetManifest(site_dir / "static")
    return Renderer(site_dir / "templates", site, assets.url).render(output)


def _render(
    client: CMSClient, query: dict[str, str], site_dir: Path, settings: dict[str, Any]
) -> str:
    item = fetch_draft(client, query)
    settings.update(client.get_json("site-settings/"))
    content, draft = neighbourhood(client, item, settings)
    localiser = _CMSMedia(
        client.api_url, content.settings.get("media_url", ""), content.site_origin
    )
    content.pages = localiser.localise(content.pages)
    site_plan = planner.plan(content)
    path = planner.output_path(draft["url"])
    output = next(o for o in site_plan.outputs if o.path == path)
    output.context.update(preview=True, noindex=True)
    assets = AssetManifest(site_dir / "static")
    return Renderer(site_dir / "templates", site_plan.site, assets.url).render(output)


def fetch_draft(client: CMSClient, query: dict[str, str]) -> dict[str, Any]:
    """The draft as a v2 pages item; raise :class:`PreviewRefused` on a 4xx from the CMS."""
    params = {k: query[k] for k in QUERY_KEYS if query.get(k)}
    url = client.url("preview/")
    try:
        response = client.session.get(url, params=params, timeout=client.timeout)
    except requests.RequestException as exc:
        raise CMSUnavailableError(
            f"cannot reach the CMS at {client.api_url} ({exc.__class__.__name__})."
        ) from exc
    if 400 <= response.status_code < 500:
        try:
            data = response.json()
        except ValueError:
            data = {"message": f"The CMS refused this preview link. {AGAIN}"}
        raise PreviewRefused(response.status_code, data)
    if response.status_code >= 500:
        raise CMSError(f"the CMS preview endpoint answered {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise CMSError(f"the CMS preview endpoint {url} did not return JSON") from exc


def neighbourhood(
    client: CMSClient, item: dict[str, Any], settings: dict[str, Any]
) -> tuple[Content, dict[str, Any]]:
    """The small site the draft is planned in, and the draft's normalised page dict.

    Published pages only, plus the draft: it takes the place of its live
    version (or, new, goes last under its parent, where Wagtail will add it).
    URLs are relative to the site root.
    """
    draft = normalise_page(item)
    parent = (item.get("meta") or {}).get("parent") or {}
    root_id = settings.get("root_page_id")
    parent_id = parent.get("id")
    with ThreadPoolExecutor(max_workers=4) as pool:
        # First: which of root, parent and draft are published (a 404 says not).
        root_job = pool.submit(published, client, root_id)
        parent_job = pool.submit(published, client, parent_id) if parent_id else None
        draft_job = pool.submit(published, client, draft["id"]) if draft["id"] else None
        root_item = root_job.result()
        parent_item = parent_job.result() if parent_job else None
        draft_live = draft_job.result() is not None if draft_job else False
        # Then: the children of published pages only.
        jobs = []
        if root_item is not None:
            jobs.append(pool.submit(children, client, root_id))
        if parent_item is not None and parent_id != root_id:
            jobs.append(pool.submit(children, client, parent_id))
        if draft_live and draft["id"] != root_id:
            jobs.append(pool.submit(children, client, draft["id"]))
        if draft["id"] == root_id:
            jobs.append(pool.submit(_recent_articles, client))
        root = _root_page(root_item, root_id, draft, settings)
        by_id: dict[Any, dict[str, Any]] = {root["id"]: root}
        if parent_id and parent_id != root_id:
            by_id[parent_id] = normalise_page(parent_item or parent)
        for job in jobs:
            for page in job.result():
                by_id.setdefault(page["id"], page)
    by_id[draft["id"] if draft["id"] is not None else "draft"] = draft
    pages = [p for p in by_id.values() if p["url"] is not None]
    origin = _origin(((root_item or item).get("meta") or {}).get("html_url") or "")
    root_url = root["url"] or "/"
    pages = [relative_to_root(p, root_url) for p in pages]
    return Content(settings, pages, [], [], origin), draft


def published(client: CMSClient, page_id: Any) -> dict[str, Any] | None:
    """The live, public page ``page_id`` with every field, or ``None`` if the API has no such page.

    Raises :class:`CMSError` for any other error answer.
    """
    if page_id is None:
        return None
    try:
        return client.get_json(f"pages/{page_id}/")
    except CMSUnavailableError:
        raise
    except CMSError as exc:
        if exc.status == 404:
            return None
        raise


def _root_page(
    root_item: dict[str, Any] | None, root_id: Any, draft: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    """The site's root page: published, the draft itself, or a stand-in (never published)."""
    if draft["id"] is not None and draft["id"] == root_id:
        return draft
    if root_item is not None:
        return normalise_page(root_item)
    # The home page was never published: the draft still previews, under a
    # home page named after the site.
    title = settings.get("site_name") or "Home"
    return {"id": root_id, "type": "HomePage", "title": title, "slug": "", "url": "/"}


def children(client: CMSClient, parent_id: Any) -> list[dict[str, Any]]:
    """The live children of a live page in tree order, every field (one listing per page type)."""
    tree = list(client.iter_listing("pages/", {"child_of": parent_id}))
    full: dict[int, dict[str, Any]] = {}
    for page_type in sorted({i["meta"]["type"] for i in tree}):
        params = {"child_of": parent_id, "type": page_type, "fields": "*"}
        full.update((i["id"], i) for i in client.iter_listing("pages/", params))
    return [normalise_page(full.get(i["id"], i)) for i in tree]


def _recent_articles(client: CMSClient) -> list[dict[str, Any]]:
    params = {
        "type": "content.ArticlePage",
        "fields": "*",
        "order": "-date",
        "limit": planner.RECENT_ON_HOME,
    }
    return [normalise_page(i) for i in client.get_json("pages/", params)["items"]]


class _CMSMedia(MediaLocaliser):
    """Media URLs made absolute on the CMS instead of copied into a site."""

    def local_url(self, url: str, version: str = "") -> str:
        absolute = urljoin(self.api_url, url)
        if absolute.startswith(self.media_base):
            return absolute
        return super().local_url(url, version)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
