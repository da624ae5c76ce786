"""netlify.toml, _headers and _redirects agree, so Netlify, S3 and ``jamtail serve`` do too."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

from jamtail.outputs.headers import RULES, build_headers
from jamtail.outputs.redirects import build_redirects
from jamtail.rules import headers_for, parse_headers, parse_redirects
from jamtail.settings import Settings

REPO = Path(__file__).resolve().parents[1]
PLAN = SimpleNamespace(
    redirects=[{"old_path": "/old", "location": "/new/", "is_permanent": True}], functions_url=""
)


def netlify_toml() -> dict:
    return tomllib.loads((REPO / "netlify.toml").read_text())


def test_netlify_builds_with_jamtail_and_publishes_the_build_directory():
    config = netlify_toml()
    assert "jamtail build --out build" in config["build"]["command"]
    assert config["build"]["publish"] == "build"


def test_headers_in_netlify_toml_are_the_generated_rules():
    generated = {source: dict(headers) for source, headers in RULES}
    for rule in netlify_toml().get("headers", []):
        assert generated.get(rule["for"]) == rule["values"], rule["for"]


def test_generated_headers_carry_the_security_and_cache_policies():
    rules = parse_headers(build_headers(PLAN)[0][1].decode())  # type: ignore[arg-type]
    page = dict(headers_for(rules, "/blog/x/"))
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["Strict-Transport-Security"].startswith("max-age=")
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert page["Cache-Control"] == "public, max-age=0, must-revalidate"
    asset = dict(headers_for(rules, "/static/css/site.3f2a9c1b.css"))
    assert asset["Cache-Control"] == "public, max-age=31536000, immutable"


def test_functions_are_rewritten_to_their_deployed_url():
    url = Settings.from_environ({"JAMTAIL_FUNCTIONS_URL": "https://fn.example.org/"}).functions_url
    plan = SimpleNamespace(redirects=PLAN.redirects, functions_url=url)
    rules = parse_redirects(build_redirects(plan)[0][1].decode())  # type: ignore[arg-type]
    rewrites = {r.source: (r.target, r.status) for r in rules}
    assert rewrites["/api/*"] == ("https://fn.example.org/api/:splat", 200)
    assert rewrites["/preview"] == ("https://fn.example.org/preview", 200)
    search = next(r for r in rules if r.source == "/api/*")
    assert search.match("/api/search") == "https://fn.example.org/api/search"
    assert rewrites["/old"] == ("/new/", 301)
    for rule in netlify_toml().get("redirects", []):
        assert (rule["to"], rule.get("status", 301)) == rewrites[rule["from"]]


def test_without_a_functions_url_no_rewrite_is_generated():
    text = build_redirects(PLAN)[0][1].decode()  # type: ignore[arg-type]
    assert "/api/" not in text and "/preview" not in text
