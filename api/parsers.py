"""The API's JSON parser, bounded: a body too large or nested too deep is refused, never a 500.

DRF's own JSONParser reads the request stream itself, so Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` never applies to it, and ``json.load`` on
``[[[[...]]]]`` a few thousand levels deep raises RecursionError (a 500). This
parser reads at most the limit (413 ``too_large`` past it), reads the body as
UTF-8 whatever charset the header names (RFC 8259), and counts the nesting
before parsing (400 ``parse_error`` past ``JSON_MAX_DEPTH``).
"""

import json

from django.conf import settings
from rest_framework import exceptions, parsers, status


class TooLarge(exceptions.APIException):
    """413: the body is larger than any request of this API."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


class BoundedJSONParser(parsers.JSONParser):
    """JSON bodies of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes and JSON_MAX_DEPTH levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        """The parsed body, or a ParseError / TooLarge the API answers as JSON."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError("The body is not UTF-8 text.") from None
        if nesting_depth(text) > settings.JSON_MAX_DEPTH:
            raise exceptions.ParseError("The JSON is nested too deeply.")
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise exceptions.ParseError("The body is not valid JSON.") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")
