"""The writer (jamtail/write/writer.py): keeping the live site's files through the spare."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jamtail.exceptions import OutputError
from jamtail.write.manifest import digest_bytes, read_manifest
from jamtail.write.writer import Writer, refresh_spare, replace_file


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


def live_entries(out: Path) -> dict:
    manifest = read_manifest(out)
    assert manifest is not None
    return manifest.files


def test_a_refreshed_spare_holds_the_live_files_so_the_next_build_links_none(
    out: Path, monkeypatch
):
    assert refresh_spare(out) == 2  # the spare held the first build's home and a/
    spare = out.with_name(".build.spare")
    for path in ("index.html", "a/index.html"):
        assert (spare / path).samefile(out / path)  # linked from the live site
    assert (spare / "b/index.html").read_bytes() == b"b"  # the same already: kept
    linked: list[str] = []
    monkeypatch.setattr(Writer, "link", lambda self, rel, *a: linked.append(rel) or True)
    writer = Writer(out)  # adopts the refreshed spare
    writer.keep(live_entries(out), "kept")
    assert linked == []
    writer.abort()


def test_refreshing_makes_a_spare_where_there_was_none_and_removes_what_the_live_site_lacks(
    tmp_path: Path,
):
    out = tmp_path / "build"
    built(out, {"index.html": b"v1", "old/index.html": b"gone soon"})
    built(out, {"index.html": b"v2", "new/index.html": b"new"})
    spare = out.with_name(".build.spare")

    def spare_pages() -> list[str]:
        return sorted(p.relative_to(spare).as_posix() for p in spare.rglob("*.html"))

    assert spare_pages() == ["index.html", "old/index.html"]
    assert refresh_spare(out) == 3  # home and new/ differ, old/ goes
    assert spare_pages() == ["index.html", "new/index.html"]
    assert not (spare / "old").exists()
    assert refresh_spare(out) == 0  # level already: nothing to do
    shutil.rmtree(spare)  # as after a site's first build
    assert refresh_spare(out) == 2
    assert spare_pages() == ["index.html", "new/index.html"]
    assert read_manifest(spare) is not None


def test_a_spare_differing_in_fewer_files_than_asked_is_left_as_it_is(out: Path):
    spare = out.with_name(".build.spare")
    before = (spare / "a/index.html").read_bytes()
    assert refresh_spare(out, at_least=3) == 0  # two differ
    assert (spare / "a/index.html").read_bytes() == before == b"a1"


def test_a_spare_a_build_left_meanwhile_is_never_replaced(out: Path, monkeypatch):
    spare = out.with_name(".build.spare")
    keep = Writer.keep

    def a_build_commits_meanwhile(self, entries, owner):
        keep(self, entries, owner)
        built(out, {"index.html": b"v3", "a/index.html": b"a3", "b/index.html": b"b"})

    monkeypatch.setattr(Writer, "keep", a_build_commits_meanwhile)
    assert refresh_spare(out) == 0
    assert (out / "index.html").read_bytes() == b"v3"
    # The build's own spare (the site it replaced), whole and with its manifest.
    assert (spare / "index.html").read_bytes() == b"v2"
    assert read_manifest(spare) is not None
