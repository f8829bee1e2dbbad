"""The API's JSON renderer writes with orjson exactly the bytes DRF's ``json.dumps`` writes,
and goes DRF's way for everything orjson would write differently (registry.api.media)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections import OrderedDict

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer as DRFRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from registry.api.media import JSONRenderer
from registry.jsoncodec import dumps, loads

UTC = dt.UTC
PARIS = dt.timezone(dt.timedelta(hours=1))

EXAMPLES = [
    {"patient": 501, "stale": False, "n_star": None, "scores": [4.5, 0.1, -0.0, 1e16, 0.0001]},
    {"computed_at": dt.datetime(2026, 12, 2, 12, 21, 29, 194235, tzinfo=UTC),
     "at_paris": dt.datetime(2026, 12, 2, 13, 0, tzinfo=PARIS),
     "naive": dt.datetime(2026, 12, 2, 13, 0), "day": dt.date(2024, 2, 29),
     "time": dt.time(9, 30), "pause": dt.timedelta(days=1, seconds=3)},
    {"dose": decimal.Decimal("0.40"), "id": uuid.UUID(int=7), "label": gettext_lazy("Patients")},
    {"name": "Émile Müller — 東京", "emoji": "🙂", "quote": 'say "hi"\\ \n\t'},
    {"separators": "a\u2028b\u2029c"},
    ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),
    OrderedDict([("z", 1), ("a", 2)]),
    [1, (2, 3), {"nested": {"deep": [True, False, None]}}],
    {"big": 2 ** 70},  # beyond 64 bits: orjson refuses, DRF's way writes it
    {1: "an integer key"},  # orjson refuses non-string keys by default
    {"lone": "\ud800"},  # a lone surrogate a client sent, echoed in an error
    [],
    {},
    "text",
    None,
]


def _tiny_floats(value) -> bool:
    """Whether ``value`` holds a non-zero float below 1e-4 in magnitude: the one case
    where orjson writes other bytes (``1e-7``, ``0.00001``; ``json``: ``1e-07``,
    ``1e-05``), the same number (registry.api.media)."""
    if isinstance(value, float):
        return 0 < abs(value) < 1e-4
    if isinstance(value, dict):
        return any(_tiny_floats(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_tiny_floats(item) for item in value)
    return False


@pytest.mark.parametrize("data", EXAMPLES, ids=range(len(EXAMPLES)))
def test_the_same_bytes_as_drf(data):
    ours = JSONRenderer().render(data, "application/json")
    try:
        theirs = DRFRenderer().render(data, "application/json")
    except UnicodeEncodeError:  # the lone surrogate: the project's escape, as before
        renderer = DRFRenderer()
        renderer.ensure_ascii = True
        theirs = renderer.render(data, "application/json")
    assert ours == theirs


def test_floats_in_exponent_notation_are_the_same_numbers():
    data = {"scores": [1e16, 1e-7, 1e-5, 1.1239856806840444e-07, -2.5e+300, 0.0001]}
    ours = JSONRenderer().render(data)
    assert ours == b'{"scores":[1e+16,1e-7,0.00001,1.1239856806840444e-7,-2.5e+300,0.0001]}'
    assert json.loads(ours) == data


def test_line_and_paragraph_separators_are_escaped_as_drf_does():
    assert JSONRenderer().render({"s": "a\u2028b\u2029"}) == b'{"s":"a\\u2028b\\u2029"}'


@pytest.mark.parametrize("media_type, context", [
    ("application/json; indent=4", {}),
    ("application/json", {"indent": 2}),  # the browsable API asks for it this way
])
def test_indented_answers_go_drf_s_way(media_type, context):
    data = {"a": [1, {"b": None}]}
    assert (JSONRenderer().render(data, media_type, context)
            == DRFRenderer().render(data, media_type, context))
    assert b"\n" in JSONRenderer().render(data, media_type, context)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 63), max_value=2 ** 64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_renders_as_drf_renders_it(value):
    try:
        theirs = DRFRenderer().render(value, "application/json")
    except UnicodeEncodeError:  # surrogates: covered above
        return
    ours = JSONRenderer().render(value, "application/json")
    if _tiny_floats(value):
        assert json.loads(ours) == json.loads(theirs)
    else:
        assert ours == theirs


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_codec_reads_back_what_it_writes(value):
    """What the stored outcomes go through (registry.jsoncodec): written compact, read
    back equal (floats as floats, integers as integers)."""
    assert loads(dumps(value)) == value
