"""Settings come from the environment and refuse insecure production configurations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_DEBUG"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import cms.settings as s; "
            "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.ALLOWED_HOSTS)",
        ],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_the_development_secret_key():
    result = load_settings(JAMTAIL_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_real_secret_starts_with_debug_off():
    result = load_settings(
        JAMTAIL_ENV="production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="cms.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert "cms.example.org" in result.stdout


def test_database_url_selects_the_database():
    result = load_settings(DATABASE_URL="postgres://u:p@127.0.0.1:5432/jamtail")
    assert "django.db.backends.postgresql" in result.stdout
    assert "sqlite3" in load_settings(DATABASE_URL="sqlite:////tmp/x.sqlite3").stdout


def documented_production_environment() -> dict[str, str]:
    """The ``export`` lines of docs/configuration.md's production example, as variables."""
    text = (REPO / "docs" / "configuration.md").read_text()
    section = text.split("### Production", 1)[1].split("\n## ", 1)[0]
    env = {}
    for line in section.splitlines():
        if line.startswith("$ export "):
            name, _, value = line.removeprefix("$ export ").partition("=")
            env[name] = value.strip("'\"")
    return env


def test_the_documented_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = documented_production_environment()
    assert env["JAMTAIL_ENV"] == "production"
    env.update(
        SECRET_KEY="k" * 20 + "Xy9-" * 10,  # the docs say: a random value of 50 characters
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",  # no PostgreSQL needed to check
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_DEBUG"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    debug = load_settings(**env)
    assert debug.returncode == 0 and debug.stdout.split()[0] == "False"
