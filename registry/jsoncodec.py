"""JSON read and written by orjson where it gives what the standard library gives.

The stored outcomes are the registry's largest JSON (12 kB for a 24-series history):
every recompute writes two documents, every outcome answer reads one and writes it again,
every report reads a summary per patient. ``json`` spent a fifth of an outcome request
and a tenth of a recompute doing it; orjson, a well-kept C library, does the same ten
times faster (issue 19, bench/README.md). For the rules' outputs the values are the
same: text orjson refuses (``NaN``, ``Infinity``, which ``jsonb`` never holds) and values
it cannot write (an integer beyond 64 bits) fall back to ``json``. One difference stays,
which is why these are for the registry's own derived JSON (the stored outcomes) and not
for what clients send: orjson reads an integer literal beyond 64 bits as a float.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

#: Keys that are not strings are written as ``json`` writes them (``1`` → ``"1"``).
_DUMPS_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """``json.dumps(value)`` for JSON-native data (the rules' results), as compact text:
    PostgreSQL's ``jsonb`` keeps the value, not the spacing."""
    try:
        return orjson.dumps(value, option=_DUMPS_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class Decoder(json.JSONDecoder):
    """``loads`` as a ``JSONField(decoder=…)``: Django decodes each stored value with
    ``json.loads(value, cls=Decoder)``; a value orjson refuses raises ``json``'s error, as
    the default decoder would."""

    def __init__(self, **kwargs: Any) -> None:  # noqa: D107 — nothing to set up per value
        self._kwargs = kwargs

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError:
            return json.JSONDecoder(**self._kwargs).decode(s)
