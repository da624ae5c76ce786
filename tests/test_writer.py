"""The writer (jamtail/write/writer.py): keeping the live site's files through the spare."""

from __future__ import annotations

from pathlib import Path

import pytest

from jamtail.exceptions import OutputError
from jamtail.write.manifest import digest_bytes
from jamtail.write.writer import Writer


def built(out: Path, files: dict[str, bytes]) -> None:
    """Build (commit) a site of ``files`` into ``out``."""
    writer = Writer(out)
    for path, data in files.items():
        writer.write(path, data, "test")
    writer.commit()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    out = tmp_path / "build"
    # Two builds: the second leaves the first as the spare.
    built(out, {"index.html": b"v1", "a/index.html": b"a1", "b/index.html": b"b"})
    built(out, {"index.html": b"v2", "a/index.html": b"a2", "b/index.html": b"b"})
    return out


def test_keep_takes_files_the_spare_holds_and_links_the_others_from_the_live_site(out: Path):
    writer = Writer(out)  # adopts the spare: the first build's files
    paths = ("a/index.html", "b/index.html")
    live = {path: digest_bytes((out / path).read_bytes()) for path in paths}
    writer.write("index.html", b"v3", "home")
    writer.keep(live, "kept")
    assert writer.files == 3 and writer.bytes == len(b"v3") + len(b"a2") + len(b"b")
    assert writer.entries["a/index.html"] == live["a/index.html"]
    writer.commit()
    assert (out / "a/index.html").read_bytes() == b"a2"  # linked from the live site
    assert (out / "b/index.html").read_bytes() == b"b"  # the spare's, unchanged
    assert (out / "index.html").read_bytes() == b"v3"


def test_keep_refuses_a_path_another_output_wrote_and_a_file_gone_from_the_live_site(out: Path):
    writer = Writer(out)
    writer.write("a/index.html", b"a3", "page a")
    with pytest.raises(OutputError, match=r"kept and page a both write a/index\.html"):
        writer.keep({"a/index.html": digest_bytes(b"a2")}, "kept")
    with pytest.raises(OutputError, match=r"c/index\.html vanished"):
        writer.keep({"c/index.html": digest_bytes(b"c")}, "kept")
    writer.abort()
