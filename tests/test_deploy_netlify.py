"""The Netlify target against a local stand-in of the deploy API; the stand-in vs the docs."""

from __future__ import annotations

import hashlib

import pytest
import requests

from jamtail.deploy import DeployError, SiteFiles
from jamtail.deploy.netlify import NetlifyBackend
from jamtail.exceptions import ConfigError
from tests.netlify_standin import NetlifyStandIn
from tests.test_deploy import change_one_page, make_site, tree


@pytest.fixture
def netlify():
    api = NetlifyStandIn().start()
    yield api
    api.stop()


def backend(api: NetlifyStandIn, **params: str) -> NetlifyBackend:
    return NetlifyBackend(
        {
            "auth_token": api.token,
            "site_id": api.site_id,
            "api_url": api.api_url,
            "retry_delay": "0.01",
            "poll_interval": "0.01",
            **params,
        }
    )


def deploy(target: NetlifyBackend, root):
    site = SiteFiles(root)
    return target.deploy(site, target.plan(site))


# -- the stand-in behaves like the documented API ---------------------------


def test_standin_implements_the_documented_digest_protocol(netlify):
    api = netlify.api_url
    auth = {"Authorization": f"Bearer {netlify.token}"}
    body = b"<h1>Hi</h1>"
    sha = hashlib.sha1(body).hexdigest()
    assert requests.get(api + "sites/site-1", timeout=5).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.get(api + "sites/site-1", headers=wrong, timeout=5).status_code == 401

    manifest = {"files": {"/index.html": sha, "/copy.html": sha}}
    created = requests.post(api + "sites/site-1/deploys", json=manifest, headers=auth, timeout=5)
    assert created.status_code == 200
    deploy = created.json()
    assert {"id", "state", "required", "deploy_ssl_url", "ssl_url"} <= set(deploy)
    assert deploy["state"] == "uploading" and deploy["required"] == [sha]  # one digest, two paths

    put = f"{api}deploys/{deploy['id']}/files/index.html"
    octet = {**auth, "Content-Type": "application/octet-stream"}
    assert requests.put(put, data=b"tampered", headers=octet, timeout=5).status_code == 422
    missing = f"{api}deploys/{deploy['id']}/files/nope.html"
    assert requests.put(missing, data=body, headers=octet, timeout=5).status_code == 404
    uploaded = requests.put(put, data=body, headers=octet, timeout=5)
    assert uploaded.status_code == 200
    assert uploaded.json() | {"id": None} == {
        "id": None, "path": "/index.html", "sha": sha, "mime_type": "", "size": len(body)
    }  # fmt: skip
    states = [
        requests.get(api + f"deploys/{deploy['id']}", headers=auth, timeout=5).json()["state"]
    ]
    assert states == ["ready"]
    site = requests.get(api + "sites/site-1", headers=auth, timeout=5).json()
    assert site["published_deploy"]["id"] == deploy["id"]

    # a later deploy of the same content requires nothing, asynchronously
    again = requests.post(
        api + "sites/site-1/deploys", json={**manifest, "async": True}, headers=auth, timeout=5
    ).json()
    assert again["state"] == "preparing"
    again = requests.get(api + f"deploys/{again['id']}", headers=auth, timeout=5).json()
    assert again["state"] == "ready" and again["required"] == []

    listed = requests.get(api + "sites/site-1/deploys", headers=auth, timeout=5).json()
    assert [d["id"] for d in listed] == [again["id"], deploy["id"]]  # newest first
    restore = f"{api}sites/site-1/deploys/{deploy['id']}/restore"
    assert requests.post(restore, headers=auth, timeout=5).json()["id"] == deploy["id"]
    bad = requests.post(api + "sites/site-1/deploys", json={"files": {"/x": "zz"}}, headers=auth)
    assert bad.status_code == 422
    assert requests.get(api + "sites/other", headers=auth, timeout=5).status_code == 404


def test_standin_injects_failures(netlify):
    netlify.fail("GET", "/sites/site-1", times=2)
    auth = {"Authorization": f"Bearer {netlify.token}"}
    codes = [
        requests.get(netlify.api_url + "sites/site-1", headers=auth, timeout=5).status_code
        for _ in range(3)
    ]
    assert codes == [500, 500, 200]


# -- the backend ---------------------------------------------------------------


def test_first_deploy_uploads_every_distinct_file_and_goes_live(tmp_path, netlify):
    root = make_site(tmp_path / "build")
    result = deploy(backend(netlify), root)
    assert result.uploaded == len(tree(root)) == len(netlify.uploads())
    assert result.bytes == sum(len(b) for b in tree(root).values())
    assert result.url == "https://site-1.netlify.app" and result.release
    assert netlify.live_content() == {"/" + p: b for p, b in tree(root).items()}


def test_second_deploy_uploads_only_the_changed_files(tmp_path, netlify):
    root = make_site(tmp_path / "build")
    target = backend(netlify)
    deploy(target, root)
    changed = change_one_page(root)
    plan = target.plan(SiteFiles(root))
    assert plan.uploads == changed
    before = len(netlify.uploads())
    result = deploy(target, root)
    assert result.uploaded == 3
    assert sorted(netlify.uploads()[before:]) == ["/" + p for p in changed]
    assert netlify.live_content()["/blog/x/index.html"] == b"<h1>X, edited</h1>"


def test_deleted_files_leave_the_live_deploy(tmp_path, netlify):
    root = make_site(tmp_path / "build")
    target = backend(netlify)
    deploy(target, root)
    (root / "blog/y/index.html").unlink()
    plan = target.plan(SiteFiles(root))
    assert plan.deletes == ["blog/y/index.html"] and plan.uploads == []
    result = target.deploy(SiteFiles(root), plan)
    assert (result.uploaded, result.deleted) == (0, 1)
    assert "/blog/y/index.html" not in netlify.live_content()


def test_an_upload_failing_twice_is_retried_and_the_deploy_completes(tmp_path, netlify):
    root = make_site(tmp_path / "build")
    target = backend(netlify)
    deploy(target, root)
    change_one_page(root)
    netlify.fail_upload("/blog/x/index.html", times=2)
    before = len(netlify.uploads())
    result = deploy(target, root)
    assert result.uploaded == 3
    assert netlify.uploads()[before:].count("/blog/x/index.html") == 3
    assert netlify.live_content()["/blog/x/index.html"] == b"<h1>X, edited</h1>"


def test_an_upload_failing_every_time_fails_the_deploy_and_keeps_the_live_one(tmp_path, netlify):
    root = make_site(tmp_path / "build")
    target = backend(netlify, tries="3")
    first = deploy(target, root)
    change_one_page(root)
    netlify.fail_upload("/blog/x/index.html", times=10)
    with pytest.raises(DeployError, match=r"upload /blog/x/index\.html failed after 3 tries"):
        deploy(target, root)
    assert netlify.published["site-1"] == first.release


def test_a_dry_run_creates_no_deploy(tmp_path, netlify):
    root = make_site(tmp_path / "build")
    target = backend(netlify)
    deploy(target, root)
    change_one_page(root)
    deploys = dict(netlify.deploys)
    plan = target.plan(SiteFiles(root))
    assert len(plan.uploads) == 3 and netlify.deploys == deploys
    assert all(method == "GET" for method, _ in netlify.requests[-1:])


def test_rollback_restores_the_previous_deploy(tmp_path, netlify):
    root = make_site(tmp_path / "build")
    target = backend(netlify)
    first = deploy(target, root)
    change_one_page(root)
    second = deploy(target, root)
    assert target.rollback() == first.release
    assert netlify.live_content()["/blog/x/index.html"] == b"<h1>X</h1>"
    assert target.rollback(to=second.release) == second.release
    assert netlify.published["site-1"] == second.release


def test_a_bad_token_is_one_clear_error(tmp_path, netlify):
    with pytest.raises(DeployError, match=r"401.*NETLIFY_AUTH_TOKEN"):
        backend(netlify, auth_token="wrong").plan(SiteFiles(make_site(tmp_path / "b")))


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        ("timeout", "soon", "the timeout setting must be a number, not 'soon'"),
        ("workers", "2.5", "the workers setting must be a whole number, not '2.5'"),
    ],
)
def test_a_bad_number_is_a_config_error_naming_the_setting(setting, value, words):
    # Issue 12: a bare ValueError ("could not convert string to float") named nothing.
    params = {"auth_token": "t", "site_id": "s", setting: value}
    with pytest.raises(ConfigError) as raised:
        NetlifyBackend(params)
    assert str(raised.value) == f"deploy target 'netlify': {words}"
