"""Everything a user can set is documented (the docs are our own demo content)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from django.core.management import load_command_class

from jamtail.cli import parser

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
ENV_READ = re.compile(
    r"""(?:environ(?:\.get)?\(|environ\[|env_(?:flag|list)\()\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def documented(page: str) -> str:
    return (DOCS / page).read_text()


def test_every_environment_variable_the_code_reads_is_documented():
    read = set()
    for path in [
        *REPO.glob("cms/**/*.py"),
        *REPO.glob("jamtail/**/*.py"),
        *REPO.glob("scripts/*.py"),
    ]:
        read |= set(ENV_READ.findall(path.read_text()))
    text = documented("configuration.md")
    assert read, "the pattern found no environment variables"
    assert sorted(v for v in read if f"`{v}`" not in text) == []


def test_every_jamtail_command_and_option_is_documented():
    text = documented("building.md") + documented("deploying.md")
    subparsers = next(a for a in parser()._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():
        assert f"jamtail {name}" in text, name
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in text, f"jamtail {name} {option}"


def test_every_import_markdown_option_is_documented():
    text = documented("importing.md")
    own_options = argparse.ArgumentParser()
    load_command_class("cms.content", "import_markdown").add_arguments(own_options)
    for action in own_options._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in text, option


def test_every_import_wordpress_option_is_documented():
    text = documented("importing.md")
    own_options = argparse.ArgumentParser()
    load_command_class("cms.content", "import_wordpress").add_arguments(own_options)
    for action in own_options._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in text, option
