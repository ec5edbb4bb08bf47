"""daphne hands request bodies to Django untouched: Twisted's own form parsing is turned off.

daphne's ``WebRequest`` is a Twisted ``http.Request``, which by default parses
every POST body of type ``multipart/form-data`` itself (for ``request.args``,
which daphne never reads) and answers a body it cannot parse, e.g. one without
a boundary, with an empty 400 and no content type before Django sees it: the
API's ``{code, detail}`` never had a chance (found by the schemathesis fuzz
test). Twisted offers ``parsePOSTFormSubmission=False`` for this; daphne does
not pass it, so the attribute is fixed here. Django then refuses such a body
itself (415 in the API, a plain 400 page elsewhere).
"""

from daphne.http_protocol import WebRequest


def _never(self) -> bool:
    return False


def _ignore(self, value) -> None:
    return None


WebRequest._parsePOSTFormSubmission = property(_never, _ignore)
