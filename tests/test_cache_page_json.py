"""jamtail.content.cache.page_json: each field encoded once (or never), as if encoded whole."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jamtail.content.cache import LAZY_FIELDS, page_json
from jamtail.content.jsontext import EVERY, loads_keeping


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(
    ["id", "title", "meta", "body", "date", "tags", 'ünïcode "key"', *LAZY_FIELDS]
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_values, max_size=8))
def test_page_json_is_byte_equal_to_encoding_each_part_whole(data):
    import hashlib

    whole, head, lazy, hashes = page_json(data)
    assert whole == compact(data)
    lazy_part = {k: data[k] for k in LAZY_FIELDS if k in data}
    assert head == compact({k: v for k, v in data.items() if k not in lazy_part})
    if lazy_part:
        assert lazy == compact(lazy_part)
        expected = {
            k: hashlib.blake2b(compact(v).encode(), digest_size=12).hexdigest()
            for k, v in lazy_part.items()
        }
        assert hashes == compact(expected)
    else:
        assert lazy is None and hashes == "{}" and head == whole


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_values, max_size=8))
def test_a_page_as_a_sync_sent_it_gives_the_same_json_without_being_encoded_again(data):
    sent = loads_keeping(compact({"items": [{"data": data}]}), ("items", EVERY, "data"))
    [item] = sent["items"]
    assert page_json(item["data"]) == page_json(data)
