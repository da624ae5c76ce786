"""Raw HTML cannot run script: Chromium enforces the site's and the preview's CSP.

A page carrying the XSS vectors raw HTML can hold (an inline ``<script>``, an
``onerror`` attribute, an ``<svg onload>``, a ``javascript:`` link clicked) is
served by ``jamtail serve`` with the ``_headers`` a build writes, and by a
function answering with the preview's headers; none of the vectors runs.
"""

from __future__ import annotations

import threading

import pytest

from functions.devserver import make_server
from jamtail.outputs.headers import build_headers
from jamtail.security import preview_csp, secured

pytestmark = pytest.mark.browser

HOSTILE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Safe</title>
<script>document.title = "ran: inline script";</script></head><body>
<img src="/missing.png" onerror="document.title = 'ran: onerror'">
<svg onload="document.title = 'ran: svg onload'"></svg>
<a id="js" href="javascript:document.title = 'ran: javascript link'">click</a>
</body></html>"""


def preview_like(event, context):
    """A function answering the hostile page with the preview's own headers."""
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": preview_csp("http://127.0.0.1:8000"),
    }
    return {"statusCode": 200, "headers": headers, "body": HOSTILE}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    site = tmp_path_factory.mktemp("csp-site")
    (site / "raw").mkdir()
    (site / "raw" / "index.html").write_text(HOSTILE)
    (site / "_headers").write_bytes(build_headers(None)[0][1])  # type: ignore[arg-type]
    server = make_server(site, port=0, routes={"/preview/": secured(preview_like)})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/raw/", "/preview/?token=x"])
def test_no_script_in_raw_html_runs(served, page, path):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    response = page.goto(served + path)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.click("#js")
    page.wait_for_timeout(300)
    assert page.title() == "Safe"
    assert len(violations) >= 3  # the inline script, the two handlers (and the link)
