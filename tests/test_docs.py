"""Everything a user can set is documented (the docs are our own demo content)."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from django.core.management import load_command_class

from jamtail.cli import parser
from jamtail.settings import variables

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


def test_every_setting_of_the_builder_and_the_functions_is_documented():
    # jamtail/settings.py is the one place the builder, the deploy targets, the runner
    # and the functions read the environment: each of its variables has a row.
    text = documented("configuration.md")
    names = [name for env, _, _ in variables() for name in env]
    assert len(names) > 30, "the settings object lists too few variables"
    assert len(names) == len(set(names)), "a variable is read by two settings"
    assert sorted(n for n in names if f"| `{n}` |" not in text) == []


def environment_reads(path: Path) -> list[str]:
    """Where ``path`` reads the process environment: ``os.environ`` / ``os.getenv`` used
    for anything but passing the whole environment on (``{**os.environ, ...}``,
    ``dict(os.environ)``: a child process's environment) or replacing it
    (``os.environ.clear()``, ``os.environ.update(...)``: a forked build's)."""
    tree = ast.parse(path.read_text())
    passed_on: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            passed_on |= {id(v) for k, v in zip(node.keys, node.values, strict=True) if k is None}
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dict":
            passed_on |= {id(a) for a in node.args}
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("clear", "update")
        ):
            passed_on.add(id(node.func.value))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {a.name for a in node.names}
            found += [f"{path}:{node.lineno}"] if names & {"environ", "getenv"} else []
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv", "environb", "getenvb")
            and getattr(node.value, "id", "") == "os"
            and id(node) not in passed_on
        ):
            found.append(f"{path}:{node.lineno}")
    return found


def test_only_the_settings_module_reads_the_environment(tmp_path):
    reads: list[str] = []
    for path in sorted([*REPO.glob("jamtail/**/*.py"), *REPO.glob("functions/*.py")]):
        name = path.relative_to(REPO).as_posix()
        if name == "jamtail/settings.py":
            continue
        reads += environment_reads(path)
    assert reads == []
    # The check finds what it is for (a read, an import) and lets a child's environment pass.
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os\nfrom os import getenv\n"
        "a = os.environ.get('JAMTAIL_X')\nb = {**os.environ, 'X': '1'}\nc = dict(os.environ)\n"
    )
    assert [r.rsplit(":", 1)[1] for r in environment_reads(probe)] == ["2", "3"]


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
