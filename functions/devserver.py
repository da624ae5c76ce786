"""The dev server (``jamtail serve``): a built site on 127.0.0.1, as a CDN serves it.

- ``/blog/post/`` serves ``blog/post/index.html``; ``/blog/post`` redirects to
  the slash form (as Netlify's pretty URLs do);
- a path with no file is looked up in ``_redirects`` (a matching file wins
  unless the rule is forced with ``!``); 200 rules are rewrites;
- anything else gets ``404.html`` with status 404;
- ``_headers`` rules are applied to every response; ``_redirects``,
  ``_headers`` and the build manifest (``.jamtail-manifest.json``) are never
  served; a rule with status 404 serves its target with status 404.

The site directory is re-read on every request, so a build that swaps
``build/`` in place is picked up without restarting.

Functions are mounted at the paths the CDN rewrites to them, through an
explicit route table ``{"/preview/": handler}`` (Lambda-proxy handlers, see
``functions/adapter.py``): a request for ``/preview/``, ``/preview`` or below
is answered by the handler, with the handler's own headers (``_headers``
rules apply to the static files only). One log line per function request
comes from the function itself.
"""

from __future__ import annotations

import argparse
import logging
import mimetypes
import posixpath
from dataclasses import replace
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from functions.adapter import (
    BodyRefused,
    Handler,
    body_length,
    make_event,
    refusal,
    response_parts,
)
from jamtail.exceptions import JamtailError
from jamtail.rules import headers_for, load_rules
from jamtail.write.manifest import MANIFEST_NAME

log = logging.getLogger(__name__)

# The rules and the build manifest (every file's digests) are for Jamtail, not readers.
HIDDEN = {"_redirects", "_headers", MANIFEST_NAME, MANIFEST_NAME + ".tmp"}
mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("image/avif", ".avif")
mimetypes.add_type("image/webp", ".webp")


class SiteHandler(BaseHTTPRequestHandler):
    """Answer GET and HEAD from ``site_dir``; see the module docstring for the rules."""

    server_version = "jamtail-serve"

    def __init__(self, *args, site_dir: Path, routes: dict[str, Handler] | None = None, **kwargs):
        self.site_dir = site_dir
        self.routes = routes or {}
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        if not self._call_function():
            self._respond(send_body=True)

    def do_HEAD(self) -> None:
        if not self._call_function():
            self._respond(send_body=False)

    def do_POST(self) -> None:
        if not self._call_function():
            self._send(405, b"Method not allowed", "text/plain", [("Allow", "GET, HEAD")], True)

    def __getattr__(self, name: str):
        """``do_<METHOD>`` for any other method (PUT, TRACE, QUERY...): as POST.

        The function mounted at the path answers (405 with its own headers), else
        405: never ``http.server``'s 501, which a CDN would not send either.
        """
        if name.startswith("do_"):
            return self.do_POST
        raise AttributeError(name)

    def _call_function(self) -> bool:
        """Answer from the route table if a function is mounted at the path; else ``False``."""
        url = urlsplit(self.path)
        handler = _route(self.routes, url.path)
        if handler is None:
            return False
        try:
            length = body_length(self.headers.get("Content-Length"))
        except BodyRefused as exc:  # before reading: a lie about the length cannot block us
            result = refusal(exc)
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            event = make_event(self.command, url.path, url.query, self.headers.items(), body)
            event["requestContext"]["identity"] = {"sourceIp": self.client_address[0]}
            result = handler(event, None)
        status, headers, data = response_parts(result)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return True

    def _respond(self, send_body: bool) -> None:
        site = self.site_dir.resolve()
        path = unquote(urlsplit(self.path).path)
        redirects, header_rules = load_rules(site)
        file = self._file_for(site, path)
        status = HTTPStatus.OK
        if file is None and not path.endswith("/") and self._file_for(site, path + "/"):
            return self._redirect(path + "/", 301, header_rules, send_body)
        for rule in redirects:
            if file is not None and not rule.force:
                continue
            target = rule.match(path, dict(parse_qsl(urlsplit(self.path).query)))
            if target is None:
                continue
            if rule.status in (200, 404):  # 404: the target's content, with status 404
                file = self._file_for(site, target)
                status = HTTPStatus(rule.status)
                break
            return self._redirect(target, rule.status, header_rules, send_body)
        if file is None:
            file = site / "404.html"
            status = HTTPStatus.NOT_FOUND
            if not file.exists():
                return self._send(404, b"Not found", "text/plain", [], send_body)
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith(("xml", "json")):
            content_type += "; charset=utf-8"
        self._send(
            status, file.read_bytes(), content_type, headers_for(header_rules, path), send_body
        )

    def _file_for(self, site: Path, path: str) -> Path | None:
        clean = posixpath.normpath(path)
        if ".." in clean.split("/"):
            return None
        candidate = site / clean.lstrip("/")
        if candidate.is_dir():
            candidate = candidate / "index.html"
            if not path.endswith("/"):
                return None
        if candidate.name in HIDDEN or not candidate.is_file():
            return None
        try:
            candidate.resolve().relative_to(site)
        except ValueError:
            return None
        return candidate

    def _redirect(self, location: str, status: int, rules, send_body: bool) -> None:
        headers = [*headers_for(rules, location), ("Location", location)]
        self._send(status, b"", "text/plain", headers, send_body)

    def _send(self, status, body: bytes, content_type: str, headers, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)


def _route(routes: dict[str, Handler], path: str) -> Handler | None:
    """The handler mounted at ``path`` (``/preview/`` also answers ``/preview``), if any."""
    for prefix, handler in routes.items():
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return handler
    return None


def make_server(
    site_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    routes: dict[str, Handler] | None = None,
) -> ThreadingHTTPServer:
    """A threading HTTP server for ``site_dir`` and the functions in ``routes``.

    ``port`` 0 picks a free port; ``routes`` maps a path prefix to a handler.
    """
    handler = partial(SiteHandler, site_dir=site_dir, routes=routes)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(args: argparse.Namespace) -> int:
    """``jamtail serve``: the site at ``args.dir`` with the functions mounted, until Ctrl-C.

    Raises ``JamtailError`` when ``args.dir`` holds no built site.
    """
    site_dir = Path(args.dir)
    if not (site_dir / "index.html").exists():
        raise JamtailError(f"{site_dir} has no index.html: run `jamtail build` first")
    from functions import comments, preview, preview_data, search
    from jamtail.search import INDEX_PATH

    settings = args.settings  # read from the environment by jamtail.cli.main
    api = replace(settings, api_url=args.api)  # --api wins over JAMTAIL_API_URL

    routes = {
        # The Next front end's /preview/ is a page of the site that reads /api/preview.
        **(
            {}
            if settings.frontend == "next"
            else {
                "/preview/": preview.make_handler(
                    args.api, Path(args.site), settings.preview_frame_ancestors
                )
            }
        ),
        "/api/preview": preview_data.make_handler(args.api, settings.functions.preview_timeout),
        "/api/search": search.make_handler(
            settings.functions.search_index or site_dir / INDEX_PATH, Path(args.site)
        ),
        "/api/comments": comments.make_handler(comments.Config.from_settings(api)),
    }
    server = make_server(site_dir, args.host, args.port, routes)
    port = server.server_address[1]
    print(f"Serving {site_dir} at http://{args.host}:{port}/ (Ctrl-C to stop)", flush=True)
    print(f"Draft previews at http://{args.host}:{port}/preview/ from {args.api}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
