"""Preview: render one draft page with the static build's own stages and templates.

``render_preview(api_url, query, site_dir)`` is the whole draft preview,
shared by the ``/preview/`` function (``functions/preview.py``) and
``jamtail serve``. ``query`` is the preview link's query string as Wagtail
made it: ``{"content_type": "content.articlepage", "token": "..."}``.

Stages, each the build's own:

    fetch     the draft from the CMS (``GET preview/``, the pages item shape),
              the site settings and the draft's neighbourhood: the root page
              and its children (navigation), the parent and its children
              (section, previous/next), the draft's own children (listings)
    gather    :func:`jamtail.gather.normalise_page` on every item
    media     :class:`jamtail.media.MediaLocaliser`, URLs kept on the CMS
              (a draft's new image is not in the deployed site yet)
    plan      :func:`jamtail.plan.plan` on that small site; the draft's output is kept
    render    :class:`jamtail.render.Renderer` with ``site/templates``,
              flags ``preview`` (the banner) and ``noindex``

Requests: about six, whatever the size of the site (listings of the
neighbourhood are read 500 items a request).

Returns ``(status, headers, body)``: 200 and the HTML page, never cached
(``Cache-Control: no-store``), never indexed (``X-Robots-Tag: noindex``),
never leaking the token in a ``Referer``; otherwise JSON
``{"message": str, "code": str}``: the CMS's own 4xx for a refused token
(expired, forged, wrong page type), 503 when the CMS cannot be reached,
502 when it answers with an error, 500 when the draft cannot be rendered.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from . import plan as planner
from .assets import AssetManifest
from .client import CMSClient
from .exceptions import CMSError, CMSUnavailableError, JamtailError
from .gather import Content, normalise_page, relative_to_root
from .media import MediaLocaliser
from .render import Renderer
from .security import preview_csp

log = logging.getLogger(__name__)

Response = tuple[int, dict[str, str], str]

AGAIN = "Click Preview in the Wagtail admin again."


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
    try:
        html = _render(client, query, site_dir)
    except PreviewRefused as exc:
        return _json(exc.status, {"code": "refused", **exc.data})
    except CMSUnavailableError as exc:
        return _json(503, {"code": "cms_unavailable", "message": f"{exc} {AGAIN}"})
    except CMSError as exc:
        return _json(502, {"code": "cms_error", "message": str(exc)})
    except JamtailError as exc:
        log.error("preview failed: %s", exc)
        return _json(500, {"code": "render_error", "message": str(exc)})
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": preview_csp(ancestors),
    }
    return 200, headers, html


def _render(client: CMSClient, query: dict[str, str], site_dir: Path) -> str:
    item = fetch_draft(client, query)
    content, draft = neighbourhood(client, item)
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
    params = {k: query.get(k, "") for k in ("content_type", "token")}
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


def neighbourhood(client: CMSClient, item: dict[str, Any]) -> tuple[Content, dict[str, Any]]:
    """The small site the draft is planned in, and the draft's normalised page dict.

    The draft takes the place of its live version (or, new, goes last under
    its parent, where Wagtail will add it). URLs are relative to the site root.
    """
    draft = normalise_page(item)
    parent = (item.get("meta") or {}).get("parent") or {}
    settings = client.get_json("site-settings/")
    root_id = settings.get("root_page_id")
    with ThreadPoolExecutor(max_workers=4) as pool:
        root_job = pool.submit(client.get_json, f"pages/{root_id}/")
        jobs = [pool.submit(children, client, root_id)]
        if parent.get("id") and parent["id"] != root_id:
            jobs.append(pool.submit(_page_or_stub, client, parent))
            jobs.append(pool.submit(children, client, parent["id"]))
        if draft["id"] and draft["id"] != root_id:
            jobs.append(pool.submit(children, client, draft["id"]))
        if draft["id"] == root_id:
            jobs.append(pool.submit(_recent_articles, client))
        root_item = root_job.result()
        root = normalise_page(root_item)
        by_id: dict[Any, dict[str, Any]] = {root["id"]: root}
        for job in jobs:
            for page in job.result():
                by_id.setdefault(page["id"], page)
    by_id[draft["id"] if draft["id"] is not None else "draft"] = draft
    pages = [p for p in by_id.values() if p["url"] is not None]
    origin = _origin(root_item["meta"].get("html_url") or "")
    root_url = root["url"] or "/"
    pages = [relative_to_root(p, root_url) for p in pages]
    return Content(settings, pages, [], [], origin), draft


def children(client: CMSClient, parent_id: int) -> list[dict[str, Any]]:
    """The live children of a page in tree order, every field (one listing per page type)."""
    tree = list(client.iter_listing("pages/", {"child_of": parent_id}))
    full: dict[int, dict[str, Any]] = {}
    for page_type in sorted({i["meta"]["type"] for i in tree}):
        params = {"child_of": parent_id, "type": page_type, "fields": "*"}
        full.update((i["id"], i) for i in client.iter_listing("pages/", params))
    return [normalise_page(full.get(i["id"], i)) for i in tree]


def _page_or_stub(client: CMSClient, parent: dict[str, Any]) -> list[dict[str, Any]]:
    """The parent with every field, or (not live) the stub the draft's ``meta.parent`` gives."""
    try:
        return [normalise_page(client.get_json(f"pages/{parent['id']}/"))]
    except CMSUnavailableError:
        raise
    except CMSError:
        return [normalise_page(parent)]


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


def _json(status: int, data: dict[str, Any]) -> Response:
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex",
    }
    return status, headers, json.dumps(data)
