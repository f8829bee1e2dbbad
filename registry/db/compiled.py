"""A hot lookup's SQL compiled once, not on every request (issue 19).

Building a scoped ``values()`` queryset and compiling it to SQL was a fifth of an outcome
request's work (``bench/README.md``), the same work for every request of the same user's
centres on the same day. ``rows_by_pk`` compiles the queryset once per ``key`` (what the
queryset's filters depend on, ``registry.scoping.patient_scope_key``) with a stand-in for
the primary key, and afterwards only puts the requested key in its place: the SQL the
database receives, and the rows and their conversions (JSON decoded, dates typed), are the
ORM's own.

The compiled queries are kept per thread (a compiler belongs to its thread's connection),
the most recently used ``SIZE`` of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

#: Compiled queries kept per thread.
SIZE = 128
#: The primary key's stand-in while compiling: an integer no table reaches, within the
#: range of a ``BigAutoField`` (out of range, Django would compile no query at all).
STAND_IN = -(2**62) + 7919

_local = threading.local()


class _Compiled:
    __slots__ = ("compiler", "sql", "params", "at", "names", "key_field", "low", "high")

    def __init__(self, queryset: QuerySet) -> None:
        query = queryset.query
        self.compiler = query.get_compiler(using=queryset.db)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        places = [i for i, value in enumerate(self.params)
                  if type(value) is int and value == STAND_IN]
        if len(places) != 1:
            raise LookupError("the primary key's stand-in is not one parameter of the query")
        self.at = places[0]
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        self.key_field = queryset.model._meta.pk
        self.low, self.high = connections[self.compiler.using].ops.integer_field_range(
            self.key_field.get_internal_type())

    def key(self, pk: Any) -> int | None:
        """``pk`` as one of the model's keys, ``None`` if it cannot be one."""
        try:
            value = self.key_field.get_prep_value(pk)
        except (TypeError, ValueError):
            return None
        if not isinstance(value, int) or (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high):
            return None
        return value

    def rows(self, pk: int) -> list[dict[str, Any]]:
        params = self.params.copy()
        params[self.at] = pk
        with connections[self.compiler.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        return [dict(zip(self.names, row, strict=True))
                for row in self.compiler.results_iter(results=[fetched])]


def _cache() -> OrderedDict[Hashable, _Compiled | None]:
    cache = getattr(_local, "compiled", None)
    if cache is None:
        cache = _local.compiled = OrderedDict()
    return cache


def rows_by_pk(build: Callable[[], QuerySet], *, key: Hashable, pk: Any
               ) -> list[dict[str, Any]]:
    """The rows of ``build().filter(pk=pk)``, a ``values()`` queryset, as its dicts.

    ``key`` must name everything ``build`` depends on, its database included: two calls
    with equal keys must build querysets that differ in nothing. A ``pk`` that is not one
    of the model's keys (not a whole number, out of the column's range) finds no row, as
    the ORM's lookup does. A queryset whose parameters the stand-in cannot be told apart
    in is run the ORM's way every time.
    """
    cache = _cache()
    entry: _Compiled | None  # None: the filters match nothing whatever the key (no centre)
    if key in cache:
        entry = cache[key]
        cache.move_to_end(key)
    else:
        queryset = build()
        try:
            entry = _Compiled(queryset.filter(pk=STAND_IN))
        except EmptyResultSet:
            entry = None
        except LookupError:
            return list(queryset.filter(pk=pk))
        cache[key] = entry
        if len(cache) > SIZE:
            cache.popitem(last=False)
    if entry is None:
        return []
    value = entry.key(pk)
    return [] if value is None else entry.rows(value)
