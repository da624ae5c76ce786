"""The CMS APIs' JSON parser, with limits: a clear 413 or 400, never a crash.

DRF's own ``JSONParser`` reads the whole stream and hands it to ``json``,
which recurses once per nesting level: a body of 100,000 ``[`` made the
comments API answer 500 (``RecursionError``). :class:`BoundedJSONParser`
refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (Django's own
upload limit, 2.5 MB by default) with 413 before reading it, and JSON nested
more than ``jamtail.jsonlimits.MAX_DEPTH`` levels with 400 (RFC 8259 section 9
lets a parser limit both). Errors are DRF's ``{"detail": "..."}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

from jamtail.jsonlimits import JSONLimitError, loads


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "too_large"


class BoundedJSONParser(BaseParser):
    """``application/json`` bodies, at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes and 32 deep.

    Not a ``JSONParser`` subclass on purpose: DRF reads ``request.body`` whole
    before calling one of those (and Django then fails a large body with a
    400 page); any other parser gets the unread stream, so the size is
    checked before a byte is read.
    """

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        if str(declared).isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"the body is over {limit} bytes")
        raw = stream.read(limit + 1) if stream is not None else b""
        try:
            return loads(raw, max_bytes=limit)
        except JSONLimitError as exc:
            if exc.status == 413:
                raise RequestTooLarge(str(exc)) from None
            raise ParseError(f"JSON parse error: {exc}") from None
