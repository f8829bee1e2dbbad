"""DRF's JSON parser and renderer, made safe for whatever bytes a client sends."""

from __future__ import annotations

from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """A body nested deeper than Python's recursion limit is a 400, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error


class JSONRenderer(renderers.JSONRenderer):
    """UTF-8 JSON; a character UTF-8 cannot carry (a lone surrogate a client sent as
    ``"\\ud800"``, echoed back in an error message) is written as its ``\\u`` escape
    instead of failing the answer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True
            return super().render(data, accepted_media_type, renderer_context)
