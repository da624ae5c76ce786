"""jamtail.content.jsontext: JSON decoded as json.loads does, with chosen members' text kept."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jamtail.content import sync
from jamtail.content.jsontext import EVERY, Members, loads_keeping
from jamtail.exceptions import CMSError

PATH = ("items", EVERY, "data")

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
datas = st.dictionaries(st.text(), values, max_size=6)
items = st.fixed_dictionaries({"kind": st.sampled_from(["page", "author"]), "id": st.integers()})
documents = st.fixed_dictionaries(
    {
        "items": st.lists(
            st.tuples(items, datas | values).map(lambda pair: {**pair[0], "data": pair[1]}),
            max_size=4,
        ),
        "next_page": st.none() | st.text(),
    }
)
# Jamtail's CMS writes compact JSON; another encoder may space and escape it otherwise.
styles = st.sampled_from(
    [
        {"separators": (",", ":"), "ensure_ascii": False},
        {"indent": 2, "ensure_ascii": True},
        {"indent": "\t", "separators": (" ,", " : ")},
        {},
    ]
)


@given(documents, styles)
def test_a_document_decodes_as_json_loads_does_and_keeps_each_data_members_text(document, style):
    text = json.dumps(document, **style)
    decoded, expected = loads_keeping(text, PATH), json.loads(text)
    assert decoded == expected
    for item, plain in zip(decoded["items"], expected["items"], strict=True):
        data = item["data"]
        assert isinstance(data, Members) == isinstance(plain["data"], dict)
        if isinstance(data, Members):
            assert list(data.texts) == list(data)
            assert {name: json.loads(text) for name, text in data.texts.items()} == data


@given(datas)
def test_compact_json_keeps_exactly_the_text_the_content_cache_would_encode(data):
    text = json.dumps({"items": [{"data": data}]}, separators=(",", ":"), ensure_ascii=False)
    [item] = loads_keeping(text, PATH)["items"]
    assert item["data"].texts == {
        name: json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        for name, value in data.items()
    }


@given(documents, st.data())
def test_a_damaged_document_is_refused_where_json_loads_refuses_it(document, draw):
    text = json.dumps(document)
    cut = draw.draw(st.integers(0, len(text)))
    damaged = text[:cut] + draw.draw(st.sampled_from(["", "}", ",", "x", '"', "]]"])) + text[cut:]
    try:
        expected = json.loads(damaged)
    except json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError):
            loads_keeping(damaged, PATH)
    else:
        assert loads_keeping(damaged, PATH) == expected


@pytest.mark.parametrize(
    "text",
    ['{"items": [{"data": [1, 2]}]}', '{"items": {"data": {}}}', "[1, 2]", '"items"', "null"],
)
def test_a_document_of_another_shape_is_decoded_as_it_is(text):
    assert loads_keeping(text, PATH) == json.loads(text)


def test_the_error_names_the_position_of_the_fault():
    with pytest.raises(json.JSONDecodeError) as error:
        loads_keeping('{"items": [{"data": {"a": 1 "b": 2}}]}', PATH)
    assert error.value.pos == 28 and "delimiter" in error.value.msg


def test_a_name_holding_a_raw_control_character_is_refused_as_json_loads_refuses_it():
    text = '{"items": [{"data": {"a\nb": 1}}]}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        loads_keeping(text, PATH)


@pytest.mark.parametrize(
    "text",
    [
        '{"items": [' + "[" * 100_000 + "]" * 100_000 + "]}",  # deeper than Python recurses
        '{"items": [{"id": ' + "9" * 5000 + "}]}",  # more digits than int() takes
        '{"items": [{"data": {"title": "cut',
    ],
    ids=["deep", "long number", "cut short"],
)
def test_a_sync_answer_that_is_not_json_python_can_read_is_a_cms_error(text):
    with pytest.raises(CMSError, match="did not return JSON"):
        sync._decode(text, "http://127.0.0.1/api/v2/sync/")
