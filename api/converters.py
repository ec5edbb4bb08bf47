"""URL converter for database ids: ``<id:name>`` matches 1 to 18 digits.

Django's ``<int:...>`` accepts any length, and an id past PostgreSQL's bigint
range turned into a 500 (found by the schemathesis fuzz test); with this
converter such a URL is simply not found (404).
"""

from django.urls import register_converter


class IdConverter:
    """A positive database id that fits a bigint."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        """The id as an int."""
        return int(value)

    def to_url(self, value: int) -> str:
        """The id as URL text."""
        return str(value)


register_converter(IdConverter, "id")
