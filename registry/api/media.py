"""DRF's JSON parser and renderer, made safe for whatever bytes a client sends."""

from __future__ import annotations

import orjson
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError
from rest_framework.utils.encoders import JSONEncoder


class JSONParser(parsers.JSONParser):
    """A body nested deeper than Python's recursion limit is a 400, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error


#: What orjson is told: keep to the dumps of DRF (dates and times through DRF's own
#: encoder, so a UTC time still ends in ``Z``; a lone surrogate, an integer beyond 64 bits,
#: a non-string key or a nesting deeper than orjson's limit raise, and the answer is
#: written by ``json.dumps`` as before).
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_DRF_DEFAULT = JSONEncoder().default
#: DRF escapes these two so that the JSON is a strict JavaScript subset; so do we
#: (each one's UTF-8 bytes → its escape).
_LINE_SEPARATORS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


class JSONRenderer(renderers.JSONRenderer):
    """UTF-8 JSON, written by orjson where it writes what DRF's ``json.dumps`` would
    (compact, unindented, the data's key order, non-ASCII as UTF-8, DRF's encoder for
    what JSON has no type for): writing a page of 50 patients or an outcome's 12 kB cost
    ten times less (issue 19, bench/README.md). The bytes are the same but for a non-zero
    float below 1e-4 in magnitude, which orjson writes ``1e-7`` or ``0.00001`` where
    ``json`` writes ``1e-07``, ``1e-05``: the same number (no recorded or computed value
    of the registry is that small); and NaN or an infinity, which DRF's strict JSON
    refuses (a 500), are written as ``null``. Anything else — an indented answer
    (``; indent=``, the browsable API), a setting asking for ASCII or non-compact JSON,
    data orjson refuses (an integer beyond 64 bits, a key that is not a string, a lone
    surrogate) — goes DRF's way.

    There, a character UTF-8 cannot carry (a lone surrogate a client sent as
    ``"\\ud800"``, echoed back in an error message) is written as its ``\\u`` escape
    instead of failing the answer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (data is not None and self.compact and not self.ensure_ascii
                and self.get_indent(accepted_media_type, renderer_context or {}) is None):
            try:
                rendered = orjson.dumps(data, default=_DRF_DEFAULT, option=_ORJSON_OPTIONS)
            except (orjson.JSONEncodeError, ValueError, TypeError):
                pass
            else:
                if b"\xe2\x80" in rendered:  # the lead bytes of U+2028 and U+2029
                    for separator, escape in _LINE_SEPARATORS:
                        rendered = rendered.replace(separator, escape)
                return rendered
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True
            return super().render(data, accepted_media_type, renderer_context)
