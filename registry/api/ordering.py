"""``?ordering=``: the fields a list offers, or a 400 naming ``ordering``.

``StrictOrderingFilter`` is the ordering backend of ``DEFAULT_FILTER_BACKENDS``; the
helpers order the lists that are built in memory the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework import exceptions, filters


def ordering_terms(raw: str, allowed: Sequence[str], *, param: str = "ordering") -> list[str]:
    """``?ordering=`` parsed against the fields a list offers: an unknown one is a 400 naming
    ``ordering`` (ignoring it, as DRF does, would hand a script rows in an order it did not
    ask for). An empty value means the default order (an empty list)."""
    if not raw:
        return []
    terms = [term.strip() for term in raw.split(",")]
    unknown = [term for term in terms if term.removeprefix("-") not in allowed]
    if unknown:
        raise exceptions.ValidationError({param: [
            f"Cannot order by {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(allowed)} (prefix '-' for descending, comma-separated)."
        ]})
    return terms


def ordering_schema(allowed: Sequence[str]) -> dict[str, Any]:
    term = f"-?({'|'.join(allowed)})"
    return {"type": "string", "pattern": f"^{term}(,{term})*$"}


def ordering_description(allowed: Sequence[str]) -> str:
    return (f"Sort by {', '.join(allowed)}; prefix '-' for descending, several fields "
            "comma-separated. Any other field is a 400.")


def sort_rows(rows: list[dict[str, Any]], terms: Sequence[str]) -> list[dict[str, Any]]:
    """Order plain rows (lists built in memory) by ``ordering_terms``: stable, nulls before
    values (after them when descending)."""
    for term in reversed(terms):
        key = term.removeprefix("-")
        rows = sorted(
            rows,
            key=lambda row: (row[key] is not None, "" if row[key] is None else row[key]),
            reverse=term.startswith("-"),
        )
    return rows


class StrictOrderingFilter(filters.OrderingFilter):
    """DRF's ``?ordering=`` with ``ordering_terms``: the view's ``ordering_fields`` or a 400."""

    def get_ordering(self, request, queryset, view):
        allowed = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        terms = ordering_terms(request.query_params.get(self.ordering_param, ""), allowed,
                               param=self.ordering_param)
        return terms or self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        allowed = list(getattr(view, "ordering_fields", None) or [])
        if not allowed:
            return []
        return [{
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": ordering_description(allowed),
            "schema": ordering_schema(allowed),
        }]
