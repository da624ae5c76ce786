"""The search index (jamtail/search/): text extraction, shards, ranking, filters, paging.

Ranking and snippets are checked on the real Rust blog (754 Markdown files,
skipped when ``../shared/corpora`` is absent) and on the repository's own
demo blog and docs; the pages come from the Markdown through the importer's
own pure stages (``tests/search_corpus.py``), the index from the same
writer the build runs. The Rust blog's index has 2 shards, so every ranking,
filter and paging test there also runs across shards.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jamtail.content.media import MediaLocaliser
from jamtail.search.index import _tantivy_doc, stored_parts
from jamtail.search.query import (
    MAX_TERMS,
    Marks,
    QueryError,
    _typed,
    body_window,
    check_page,
    check_query,
    open_index,
    parse_terms,
    prefix_worthy,
    search,
    snippet,
)
from jamtail.search.shards import build_index, save_index
from jamtail.search.text import block_text, body_parts, clean, page_text
from tests.search_corpus import SITE, markdown_pages

REPO = Path(__file__).resolve().parents[1]


def page(pid: int, url: str, **fields) -> dict:
    parent = None if url == "/" else url.rstrip("/").rsplit("/", 1)[0] + "/"
    return {"id": pid, "type": "ArticlePage", "title": f"Page {pid}", "url": url,
            "parent_url": parent, **fields}  # fmt: skip


def index_file(tmp_path: Path, pages: list[dict]) -> Path:
    """The index of ``pages`` written under ``tmp_path``: its ``index.json``."""
    return save_index(build_index(pages, SITE), tmp_path)


@pytest.fixture(scope="module")
def rust_pages(rust_blog) -> list[dict]:
    return markdown_pages(rust_blog)


@pytest.fixture(scope="module")
def rust_index(rust_pages, tmp_path_factory):
    path = index_file(tmp_path_factory.mktemp("rust-index"), rust_pages)
    con = open_index(path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def demo_pages() -> list[dict]:
    blog = markdown_pages(REPO / "demo" / "blog", "blog", first_id=2)
    docs = markdown_pages(REPO / "docs", "docs", first_id=1000)[1:]
    return blog + docs


@pytest.fixture(scope="module")
def demo_index(demo_pages, tmp_path_factory):
    con = open_index(index_file(tmp_path_factory.mktemp("demo-index"), demo_pages))
    yield con
    con.close()


# --- plain text ---


def test_every_block_type_gives_its_text_and_no_markup():
    blocks = [
        {"type": "paragraph", "value": "<p>Rich <b>text</b> &amp; <a href='/x'>links</a></p>"},
        {"type": "heading", "value": {"text": "A heading", "level": "2", "anchor": "a"}},
        {"type": "code", "value": {"language": "rust", "code": "fn main() {}"}},
        {"type": "quote", "value": {"text": "<p>Quoted</p>", "attribution": "Ferris"}},
        {"type": "image", "value": {"image": 3, "alt": "A crab", "caption": "On a rock"}},
        {"type": "embed", "value": {"url": "https://e.x/v", "title": "A talk", "html": "<iframe>"}},
        {"type": "raw_html", "value": "<div>Raw<script>alert(1)</script><style>p{}</style></div>"},
        {"type": "table", "value": {"caption": "Tbl", "columns": [{"heading": "Col"}],
                                    "rows": [{"values": ["<p>Cell</p>"]}]}},
        {"type": "footnotes", "value": [{"anchor": "fn-1", "text": "<p>A note</p>"}]},
        {"type": "new_kind", "value": {"label": "Future <i>block</i>", "n": 3}},
    ]  # fmt: skip
    texts = [block_text(b) for b in blocks]
    assert texts == [
        "Rich text & links", "A heading", "fn main() {}", "Quoted Ferris", "A crab On a rock",
        "A talk", "Raw", "Tbl Col Cell", "A note", "Future block",
    ]  # fmt: skip
    body = page_text({"intro": "<p>Intro</p>", "body": blocks})
    assert body.startswith("Intro Rich text")
    assert "<" not in body.replace("fn main() {}", "") and "alert" not in body


def test_media_urls_are_made_local_only_in_blocks_whose_text_can_show_them():
    cms = "http://cms.example/media/"
    localiser = MediaLocaliser("http://cms.example/api/v2/", cms)
    img = f'<img src="{cms}images/a.png" alt="A crab">'
    blocks = [
        {"type": "paragraph", "value": f"<p>{img} and <a href='{cms}documents/b.pdf'>b</a></p>"},
        {"type": "raw_html", "value": f"<figure>{img}</figure>"},
        {"type": "code", "value": {"language": "html", "code": img}},
        {"type": "new_kind", "value": {"html": img, "url": f"{cms}images/a.png"}},
        {"type": "image", "value": {"image": 3, "alt": "A crab", "caption": "On a rock"}},
    ]
    localised = body_parts(blocks, localiser.localise)
    assert localised == body_parts(localiser.localise(blocks))
    assert [cms in text for text in localised] == [False, False, False, True, False]
    assert 'src="/media/images/a.png"' in localised[2]


def test_control_characters_never_reach_the_index():
    text = page_text({"body": [{"type": "paragraph", "value": "<p>a\x00b\x07c\x1bd</p>"}]})
    assert text == "a b c d"


_BLOCK_VALUES = st.text(alphabet=st.sampled_from(" \t\n\r\x00\x0b\x1fab<>/&;p"), max_size=30)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["paragraph", "heading", "code", "raw_html", "odd"]), _BLOCK_VALUES
        ),
        max_size=6,
    ),
    _BLOCK_VALUES,
)
def test_a_pages_text_is_clean_whatever_its_blocks_hold(blocks, intro):
    # page_text joins block texts without cleaning them again: each must already be clean.
    def value(kind, text):
        return {"text": text} if kind == "heading" else {"code": text} if kind == "code" else text

    text = page_text(
        {"intro": intro, "body": [{"type": k, "value": value(k, v)} for k, v in blocks]}
    )
    assert text == clean(text)


# --- the index file ---


def test_two_pages_with_one_url_are_an_error():
    with pytest.raises(ValueError, match="share an id or a URL"):
        list(build_index([page(1, "/"), page(2, "/a/"), page(3, "/a/")], SITE))


def test_opening_and_querying_the_index_writes_nothing_into_its_folder(tmp_path):
    # A deployed site's folder, or a read-only one (AWS Lambda's /var/task).
    folder = index_file(tmp_path, [page(1, "/", summary="lighthouse")]).parent
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    index = open_index(folder / "index.json")
    assert search(index, "lighthouse").total == 1
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


# --- query parsing: user text never becomes query syntax ---


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ('"unbalanced', ["unbalanced"]),
        ("title:secret", ["title", "secret"]),
        ("a NEAR(b c)", ["a", "near", "b", "c"]),
        ("foo* OR bar NOT baz AND qux", ["foo", "or", "bar", "not", "baz", "and", "qux"]),
        ("1.52 don't async-await", ["1.52", "don't", "async-await"]),
        ("((( ^x -y +z", ["x", "y", "z"]),
        ("\x00\x1b[31mred", ["31mred"]),
        (
            "\u00dcn\u00efc\u00f6d\u00e9 \uff26\uff35\uff2c\uff2c",
            ["\u00fcn\u00efc\u00f6d\u00e9", "full"],
        ),
        ("", []),
        ("*** ___ !!!", []),
    ],
)
def test_user_text_is_cut_into_plain_words(text, terms):
    assert parse_terms(text) == terms


def test_only_the_last_term_matches_as_a_prefix_and_syntax_is_a_word(tmp_path):
    pages = [
        page(1, "/", summary="xylophone music"),
        page(2, "/a/", summary='say "hi" to title: near(x)'),
    ]
    index = open_index(index_file(tmp_path, pages))
    assert search(index, "music xyl").total == 1
    assert search(index, "xyl music").total == 0
    assert [hit.url for hit in search(index, 'say"hi" title:').results] == ["/a/"]


def test_a_whole_word_the_index_holds_is_not_a_prefix_a_part_of_one_is(tmp_path):
    pages = [
        page(1, "/", summary="rust everywhere"),
        page(2, "/a/", summary="rustc and rustup only"),
        page(3, "/b/", summary="cargoes shipped"),
    ]
    index = open_index(index_file(tmp_path, pages))
    assert [hit.url for hit in search(index, "rust").results] == ["/"]
    whole = search(index, "rust everywhere").results[0].snippet
    assert "<mark>rust</mark>" in whole
    typed = {hit.url: hit.snippet for hit in search(index, "rus").results}
    assert sorted(typed) == ["/", "/a/"] and "<mark>rustc</mark>" in typed["/a/"]
    # "cargo" is only in a longer form ("cargoes" is stemmed to "cargo"): a whole word too.
    assert [hit.url for hit in search(index, "cargo").results] == ["/b/"]
    # "rustu" is no word of the index: the words it starts are found.
    assert [hit.url for hit in search(index, "rustu").results] == ["/a/"]


WORDS = st.sampled_from(["rust", "Rusty", "borrow", "the", "crab", "é", "naïve", "x" * 50, ""])


@settings(max_examples=300, deadline=None)
@given(
    body=st.lists(WORDS, max_size=400).map(" ".join),
    query=st.sampled_from(["rust", "borrow chec", "naïve", "cra", "nothing"]),
    piece=st.sampled_from([1, 7, 64, 4096]),
)
def test_a_snippet_from_the_body_read_in_pieces_is_the_one_the_whole_body_gives(body, query, piece):
    doc = {
        "id": 1, "url": "/", "title": "T", "summary": "", "body": body, "date": "",
        "type": "ArticlePage", "section": "", "sections": [], "tags": [], "authors": [],
    }  # fmt: skip
    stored = _tantivy_doc(doc)["doc"][0]
    head, pieces = stored_parts(stored, piece)
    assert head["title"] == doc["title"] and head["body"] is None
    terms = parse_terms(query)
    marks = Marks(terms, _typed(terms[-1]))
    text, at = body_window(pieces, marks)
    assert body.startswith(text) and at == marks.first(body)
    assert snippet(text, marks, at) == snippet(body, marks, marks.first(body))


def test_a_last_word_ending_in_one_or_two_letters_is_no_prefix_but_a_digit_is():
    assert not prefix_worthy("a") and not prefix_worthy("cargo's") and not prefix_worthy("co")
    assert prefix_worthy("1.7") and prefix_worthy("xyl")


def test_terms_beyond_the_limit_are_ignored():
    assert len(parse_terms(" ".join(f"w{i}" for i in range(100)))) == MAX_TERMS


def test_an_overlong_query_and_a_bad_page_are_query_errors():
    with pytest.raises(QueryError, match="longer than 200"):
        check_query("x" * 201)
    for bad in ("0", "-1", "abc", "101", "1e3", "²"):
        with pytest.raises(QueryError, match="page must be"):
            check_page(bad)
    assert check_page(None) == 1 and check_page("7") == 7


# --- ranking, snippets, filters, paging on the Rust blog ---


@pytest.mark.corpus
def test_a_release_number_finds_its_announcement_first(rust_index):
    for version in ("1.52", "1.70", "1.94"):
        assert (
            search(rust_index, f"rust {version}")
            .results[0]
            .title.startswith(f"Announcing Rust {version}")
        )
    assert search(rust_index, "1.52").results[0].title == "Announcing Rust 1.52.0"


@pytest.mark.corpus
def test_pages_titled_with_every_word_come_before_body_mentions(rust_index):
    for query in ("borrow checker", "rust 1.70", "cargo"):
        titled = [
            all(w in h.title.lower() for w in query.split())
            for h in search(rust_index, query).results
        ]
        assert titled[0] and titled == sorted(titled, reverse=True), (query, titled)
    assert search(rust_index, "rust 1.70").results[0].title == "Announcing Rust 1.70.0"


@pytest.mark.corpus
def test_the_last_word_matches_as_a_prefix(rust_index):
    whole = search(rust_index, "borrow checker")
    typed = search(rust_index, "borrow chec")
    assert typed.total >= whole.total
    assert typed.results[0].url == whole.results[0].url
    assert search(rust_index, "chec borrow").total == 0  # only the last word is a prefix
    assert any("polonius" in hit.title.lower() for hit in search(rust_index, "polon").results)


@pytest.mark.corpus
def test_snippets_mark_the_matches_in_escaped_text(rust_index):
    hit = search(rust_index, "borrow checker").results[0]
    assert "<mark>borrow</mark> <mark>checker</mark>" in hit.snippet.lower()
    stripped = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


@pytest.mark.corpus
def test_the_section_filter_keeps_only_that_sections_pages(rust_index):
    everything = search(rust_index, "async")
    inside = search(rust_index, "async", section="/blog/inside-rust/")
    assert 0 < inside.total < everything.total
    assert all(hit.url.startswith("/blog/inside-rust/") for hit in inside.results)
    assert search(rust_index, "async", section="/nowhere/").total == 0
    assert search(rust_index, "async", section="/blog/").total == everything.total


@pytest.mark.corpus
def test_pages_of_results_are_disjoint_and_add_up_to_the_total(rust_index):
    first = search(rust_index, "cargo")
    assert first.total > 30 and first.pages == -(-first.total // first.per_page)
    seen = []
    for number in range(1, first.pages + 1):
        seen += [hit.url for hit in search(rust_index, "cargo", page=number).results]
    assert len(seen) == len(set(seen)) == first.total
    past = search(rust_index, "cargo", page=first.pages + 1)
    assert past.results == [] and past.total == first.total


@pytest.mark.corpus
def test_only_the_live_pages_given_are_indexed(rust_pages, rust_index):
    assert rust_index.searcher.num_docs == len(rust_pages)
    assert rust_index.searcher.num_segments == 2  # a shard is a segment


# --- the demo blog: tags, authors, hostile page text ---


def test_the_tag_filter_keeps_only_tagged_pages(demo_index, demo_pages):
    tagged = {p["url"] for p in demo_pages if "deploy" in [t["slug"] for t in p.get("tags", [])]}
    found = search(demo_index, "build", tag="deploy")
    assert found.total and {hit.url for hit in found.results} <= tagged


def test_authors_and_tags_are_searchable(demo_index, demo_pages):
    for kind in ("authors", "tags"):
        name = next(item["name"] for p in demo_pages for item in p.get(kind, []))
        theirs = {p["url"] for p in demo_pages if name in [i["name"] for i in p.get(kind, [])]}
        found = search(demo_index, name, per_page=50)
        assert theirs <= {hit.url for hit in found.results}, (kind, name)


def test_markup_in_page_text_is_escaped_in_snippets(tmp_path):
    body = [{"type": "raw_html", "value": "<p>&lt;img src=x onerror=alert(1)&gt; lighthouse</p>"}]
    con = open_index(index_file(tmp_path, [page(1, "/", body=body, date=dt.date(2020, 1, 2))]))
    hit = search(con, "lighthouse").results[0]
    assert hit.snippet == "&lt;img src=x onerror=alert(1)&gt; <mark>lighthouse</mark>"
    assert hit.date == "2020-01-02"
