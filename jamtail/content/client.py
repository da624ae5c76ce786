"""HTTP client for the CMS API (Wagtail API v2 and Jamtail's extra endpoints).

All builder I/O with the CMS goes through :class:`CMSClient`; nothing in the
builder imports Django. Transient failures (connection errors, timeouts, 429
and 5xx) are retried under :mod:`jamtail.retry`'s policy.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter

from jamtail import retry
from jamtail.exceptions import CMSError, CMSUnavailableError
from jamtail.settings import DEFAULT_API_URL

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_API_URL", "CMSClient"]
PAGE_SIZE = 500


class CMSClient:
    """Read JSON and files from a CMS whose API root is ``api_url``.

    ``api_url`` is the v2 root, e.g. ``http://127.0.0.1:8000/api/v2/``; relative
    media URLs in responses are resolved against it. ``timeout`` is in seconds.
    Raises :class:`CMSUnavailableError` when the CMS cannot be reached and
    :class:`CMSError` for an HTTP error or a response that is not JSON.
    ``retries``: tries after the first, under :data:`jamtail.retry.DEFAULT`.
    """

    def __init__(self, api_url: str = DEFAULT_API_URL, timeout: float = 60.0, retries: int = 3):
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.timeout = timeout
        self.session = requests.Session()
        self.retry = retry.DEFAULT.but(attempts=retries + 1)
        adapter = HTTPAdapter(pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "jamtail-builder"
        # DRF pretty-prints Wagtail's API (indent=4) unless the client asks for
        # indent=0; compact JSON is smaller and several times faster to encode.
        self.session.headers["Accept"] = "application/json; indent=0"

    def url(self, path: str) -> str:
        """Absolute URL of ``path``, relative to the API root (or absolute already)."""
        return urljoin(self.api_url, path)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` and return its decoded JSON body.

        Raises ``CMSUnavailableError`` when the CMS cannot be reached or answers
        5xx after the retries, and ``CMSError`` (with ``status`` and ``data``) for
        a 4xx answer or non-JSON.
        """
        return _json(self._send("GET", path, params))

    def post_json(self, path: str, body: Any) -> Any:
        """POST ``body`` as JSON to ``path`` (a query that changes nothing, so it is
        retried like a GET) and return the decoded answer. Raises as :meth:`get_json`."""
        return _json(self._send("POST", path, None, body))

    def post_stream(self, path: str, body: Any) -> requests.Response:
        """POST ``body`` as JSON to ``path`` (retried like a GET) and return the answer
        with its body not read yet: use it in a ``with`` block and read ``raw``.
        Raises as :meth:`get_json`."""
        return self._send("POST", path, None, body, stream=True)

    def get_text(
        self, path: str, params: dict[str, Any] | None = None, new_connection: bool = False
    ) -> tuple[str, str | None]:
        """GET ``path``: its body decoded as UTF-8 (JSON's encoding, RFC 8259) and its next URL.

        The next URL is the one the ``Link`` header names ``rel="next"``
        (RFC 8288; ``None`` without one), so a caller can ask for the next
        page before it has decoded this one. With ``new_connection``, the
        request goes on a connection of its own, closed after it
        (``Connection: close``, RFC 9112 section 9.6), so the server hands it to
        whichever worker is free rather than the one a kept-alive connection is
        bound to. Raises as :meth:`get_json`; ``CMSError`` when the body is not UTF-8.
        """
        headers = {"Connection": "close"} if new_connection else None
        response = self._send("GET", path, params, headers=headers)
        try:
            text = response.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CMSError(f"CMS API {response.url} answered a body that is not UTF-8") from exc
        following = response.links.get("next", {}).get("url")
        return text, urljoin(response.url, following) if following else None

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: Any = None,
        stream: bool = False,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """The answer to ``method`` ``path`` (``body`` sent as JSON unless ``None``),
        retried under the policy; raises for a failure or 4xx."""
        url = self.url(path)
        try:
            response = self.retry.call(
                lambda: self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    timeout=self.timeout,
                    stream=stream,
                    headers=headers,
                ),
                f"{method} {url}",
            )
        except requests.ConnectionError as exc:
            raise CMSUnavailableError(
                f"cannot reach the CMS API at {self.api_url} ({exc.__class__.__name__}); "
                "is the CMS running? Set --api or JAMTAIL_API_URL."
            ) from exc
        except requests.RequestException as exc:
            raise CMSUnavailableError(f"request to {url} failed: {exc}") from exc
        if response.status_code >= 400:
            # A 5xx that outlasted the retries is the server's trouble (a locked
            # database, a restart), which may pass: exit 75, so the worker retries.
            error = CMSUnavailableError if response.status_code >= 500 else CMSError
            raise error(
                f"CMS API {response.request.url} answered {response.status_code}: "
                f"{response.text[:300]}",
                status=response.status_code,
                data=_json_or_none(response),
            )
        return response

    def iter_listing(self, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[dict]:
        """Yield every item of a v2 listing endpoint, ``PAGE_SIZE`` items per request."""
        offset = 0
        while True:
            query = {**(params or {}), "limit": PAGE_SIZE, "offset": offset}
            data = self.get_json(endpoint, query)
            items = data.get("items", [])
            yield from items
            offset += len(items)
            if not items or offset >= data.get("meta", {}).get("total_count", 0):
                return

    def download(self, url: str, dest: Path, revalidate: bool = False) -> int:
        """Stream ``url`` (absolute or relative to the CMS) to ``dest``; return bytes written.

        With ``revalidate``, ``dest`` exists and is only replaced when the server's
        copy is newer (``If-Modified-Since``, RFC 9110 section 13.1.3); 0 means unchanged.
        """
        absolute = self.url(url)
        tmp = dest.with_name(dest.name + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        headers = {"Accept": "*/*"}
        if revalidate:
            headers["If-Modified-Since"] = formatdate(dest.stat().st_mtime, usegmt=True)
        try:
            with self.retry.call(
                lambda: self.session.get(
                    absolute, stream=True, timeout=self.timeout, headers=headers
                ),
                f"GET {absolute}",
            ) as response:
                if response.status_code == 304:
                    return 0
                if response.status_code >= 400:
                    raise CMSError(f"media file {absolute} answered {response.status_code}")
                size = 0
                with open(tmp, "wb") as fh:
                    for chunk in response.iter_content(64 * 1024):
                        fh.write(chunk)
                        size += len(chunk)
        except requests.RequestException as exc:
            tmp.unlink(missing_ok=True)
            raise CMSUnavailableError(f"cannot download {absolute}: {exc}") from exc
        modified = response.headers.get("Last-Modified")
        if modified:
            stamp = parsedate_to_datetime(modified).timestamp()
            os.utime(tmp, (stamp, stamp))
        tmp.replace(dest)
        return size


def _json(response: requests.Response) -> Any:
    """The decoded JSON body of ``response``; ``CMSError`` when it is not JSON."""
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise CMSError(f"CMS API {response.url} did not return JSON") from exc


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
