"""A page's hash depends on what the page says, never on how its objects happen to be shared."""

from __future__ import annotations

import copy
import datetime as dt

from jamtail.plan.incremental import page_hash


def fresh(text: str) -> str:
    """An equal string that is a new object (literals and short strings may be interned)."""
    return "".join(list(text))


def image(key: str) -> dict:
    return {key: 800, "url": "/media/a.width-800.jpg", "renditions": [{key: 400, "url": "/a.jpg"}]}


def page(hero: dict) -> dict:
    return {"id": 7, "title": "Bread", "date": dt.date(2024, 5, 1), "hero": hero, "tags": ["rye"]}


def test_equal_pages_hash_equal_whether_their_dicts_share_key_strings_or_not():
    width = fresh("width")
    shared = page(image(width))  # one decode: one key object for both dicts
    apart = page({**image(fresh("width")), "renditions": [{fresh("width"): 400, "url": "/a.jpg"}]})
    assert shared == apart
    assert page_hash(shared) == page_hash(apart)


def test_a_value_met_twice_hashes_as_two_copies_of_it():
    tag = {"name": "rye", "url": "/tags/rye/"}
    twice = {**page(image("width")), "tags": [tag, tag]}
    copied = {**page(image("width")), "tags": [tag, copy.deepcopy(tag)]}
    assert page_hash(twice) == page_hash(copied)


def test_any_change_of_content_changes_the_hash():
    before = page(image("width"))
    after = copy.deepcopy(before)
    after["hero"]["renditions"][0]["width"] = 401
    assert page_hash(before) != page_hash(after)
