"""What a query or a filter can get wrong, each class with a one-line docstring."""

from __future__ import annotations


class QueryError(ValueError):
    """The query has nothing to search for."""


class FilterError(ValueError):
    """A filter's value cannot be used (a malformed date or year, an unknown source)."""


class FieldValueError(QueryError, FilterError):
    """A field in the query has a value it cannot take (year:abcd, grade:foo, paragraph:x)."""


class CitationNotFound(KeyError):
    """No passage has that citation key."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0])
