"""The writer (jamtail/write/writer.py): keeping the live site's files through the spare."""

from __future__ import annotations

from pathlib import Path

import pytest

from jamtail.exceptions import OutputError
from jamtail.write.manifest import digest_bytes
from jamtail.write.writer import Writer, replace_file


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


def test_claimed_outputs_of_a_fresh_staging_folder_get_their_folders_when_written(tmp_path: Path):
    writer = Writer(tmp_path / "build")  # no spare: a fresh staging directory
    first, second = writer.claim_all([("a/b/index.html", "page"), ("a/b/feed.xml", "feed")])
    assert not first.parent.exists()  # left to the process that writes it
    replace_file(first, b"page")
    replace_file(second, b"feed")
    writer.write("a/b/c/index.html", b"later", "later")  # a folder made for a later writer
    writer.write("a/b/other.txt", b"x", "other")  # into the folder a written file made
    written = sorted(p.relative_to(writer.staging).as_posix() for p in writer.staging.rglob("*.*"))
    assert written == [
        "a/b/c/index.html",
        "a/b/feed.xml",
        "a/b/index.html",
        "a/b/other.txt",
    ]
    with pytest.raises(OutputError, match=r"both write a/b/index\.html"):
        writer.claim_all([("a/b/index.html", "again")])
    writer.abort()


def test_in_an_adopted_spare_a_claimed_folder_replaces_a_file_standing_where_it_goes(out: Path):
    writer = Writer(out)  # adopts the spare, where b/index.html is a file
    (path,) = writer.claim_all([("b/index.html/more.html", "page")])
    assert path.parent.is_dir()  # made at once: the writer would find a file there
    replace_file(path, b"more")
    assert path.read_bytes() == b"more"
    writer.abort()
