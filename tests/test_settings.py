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
