"""The builder's and the functions' settings (``jamtail/settings.py``): read once, typed,
and a bad value refused by name."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from jamtail.exceptions import ConfigError
from jamtail.settings import DEFAULT_API_URL, Settings, variables

REPO = Path(__file__).resolve().parents[1]


def test_nothing_set_gives_the_documented_defaults():
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.api_url == DEFAULT_API_URL
    assert (settings.site_dir, settings.build_dir) == (Path("site"), Path("build"))
    assert (settings.deploy.target, settings.deploy.keep) == ("local", 5)
    assert settings.deploy.allow_broken_links is False
    assert settings.s3.max_delete_percent == 50.0 and settings.s3.region == "us-east-1"
    assert settings.functions.search_index is None and settings.frontend == "jinja"


def test_values_are_parsed_to_their_types():
    settings = Settings.from_environ(
        {
            "JAMTAIL_API_URL": "https://cms.example.org/api/v2/",
            "JAMTAIL_DEPLOY_KEEP": " 3 ",
            "JAMTAIL_ALLOW_BROKEN_LINKS": "Yes",
            "JAMTAIL_S3_MAX_DELETE_PERCENT": "12.5",
            "JAMTAIL_COMMENTS_TRUSTED_PROXIES": "2",
            "JAMTAIL_FRONTEND": "NEXT",
            "JAMTAIL_SEARCH_INDEX": "/srv/_search/index.json",
            "JAMTAIL_CACHE_DIR": "",  # empty: the default
        }
    )
    assert settings.api_url == "https://cms.example.org/api/v2/"
    assert settings.deploy.keep == 3 and settings.deploy.allow_broken_links is True
    assert settings.s3.max_delete_percent == 12.5
    assert settings.functions.comments_trusted_proxies == 2
    assert settings.frontend == "next"
    assert settings.functions.search_index == Path("/srv/_search/index.json")
    assert settings.cache_dir == Path(".jamtail-cache")


def test_the_first_of_two_names_wins_and_the_second_is_the_fallback():
    both = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}
    assert Settings.from_environ(both).s3.region == "eu-west-1"
    assert Settings.from_environ({"AWS_DEFAULT_REGION": "us-west-2"}).s3.region == "us-west-2"
    boto = {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}
    assert Settings.from_environ(boto).s3.endpoint_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("JAMTAIL_DEPLOY_KEEP", "some", "JAMTAIL_DEPLOY_KEEP must be a whole number, not 'some'"),
        ("JAMTAIL_DEPLOY_KEEP", "0", "JAMTAIL_DEPLOY_KEEP must be at least 1, not 0"),
        ("JAMTAIL_S3_MAX_DELETE_PERCENT", "half", "must be a number, not 'half'"),
        ("JAMTAIL_S3_MAX_DELETE_PERCENT", "150", "must be at most 100, not 150"),
        ("JAMTAIL_PREVIEW_TIMEOUT", "nan", "must be a finite number, not 'nan'"),
        ("JAMTAIL_ALLOW_BROKEN_LINKS", "maybe", "JAMTAIL_ALLOW_BROKEN_LINKS must be one of 1,"),
        ("JAMTAIL_API_URL", "127.0.0.1:8000/api/v2/", "JAMTAIL_API_URL must be an http://"),
        ("JAMTAIL_FUNCTIONS_URL", "ftp://fn.example.org/", "must be an http:// or https:// URL"),
        ("NETLIFY_API_URL", "http://127.0.0.1:99999/", "NETLIFY_API_URL must be an http://"),
        ("AWS_ENDPOINT_URL_S3", "localhost:9000", "AWS_ENDPOINT_URL_S3 must be an http://"),
        ("JAMTAIL_FRONTEND", "gatsby", "JAMTAIL_FRONTEND='gatsby': choose one of jinja, next"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(variable, value, message):
    with pytest.raises(ConfigError) as caught:
        Settings.from_environ({variable: value})
    assert message in str(caught.value)


def test_the_object_is_frozen_and_sections_are_values():
    settings = Settings.from_environ({"JAMTAIL_DEPLOY_KEEP": "2"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.api_url = "http://elsewhere/"  # type: ignore[misc]
    assert settings == Settings.from_environ({"JAMTAIL_DEPLOY_KEEP": "2"})
    assert dataclasses.replace(settings, api_url="http://x.example/").deploy.keep == 2


def test_the_fingerprint_follows_the_jamtail_settings_only():
    base = Settings.from_environ({})
    assert Settings.from_environ({"JAMTAIL_FUNCTIONS_URL": "https://fn.example.org/"}) != base
    changed = Settings.from_environ({"JAMTAIL_FUNCTIONS_URL": "https://fn.example.org/"})
    assert changed.fingerprint() != base.fingerprint()
    # A Netlify token is no input of any output: changing it rebuilds nothing.
    token = Settings.from_environ({"NETLIFY_AUTH_TOKEN": "t"})
    assert token.fingerprint() == base.fingerprint()


def test_every_setting_has_a_default_and_a_doc():
    for names, value, doc in variables():
        assert names and doc, names
        assert value is None or isinstance(value, str | int | float | bool | Path), names


def test_the_jamtail_command_reads_the_environment_when_it_starts(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "JAMTAIL_ALLOW_BROKEN_LINKS": "perhaps"}
    result = subprocess.run(
        [sys.executable, "-m", "jamtail.cli", "deploy", "--dir", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("jamtail: error: JAMTAIL_ALLOW_BROKEN_LINKS must be one of")
    assert "'perhaps'" in result.stderr
