"""Page-number pagination of every API list (api.md "Conventions")."""

from __future__ import annotations

from functools import partial

from django.core.paginator import Paginator
from django.db.models import BigIntegerField, Model, QuerySet, Subquery
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class RegistryPagination(PageNumberPagination):
    """50 rows per page, ``?page=N``, ``?page_size=`` up to 500.

    A larger ``page_size`` is capped at 500 rather than refused: the answer's ``next`` link
    still leads through every row, so a script that asks for more loses nothing. A
    ``page_size`` that is not a positive integer is a 400 naming it; a page number that is
    not one of the list's pages is DRF's 404 ``Invalid page.``; an empty value is the
    default (docs/api-decisions.md).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        digits = raw.lstrip("0")
        if not (raw.isascii() and raw.isdigit()) or not digits:
            raise ValidationError({self.page_size_query_param: [
                "Enter a whole number of rows, at least 1."
            ]})
        if len(digits) > len(str(self.max_page_size)):  # no int() of a huge string
            return self.max_page_size
        return min(int(digits), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1; a page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page (default {self.page_size}); values above "
                    f"{self.max_page_size} are capped at {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


#: The annotation carrying the list's count on each row of a page (``CountingPaginator``).
TOTAL = "registry_list_total"


class CountOf(Subquery):
    """The number of rows of a queryset, as a scalar subquery of another query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = BigIntegerField()

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__(queryset.order_by().values("pk"))


class SumOf(Subquery):
    """The sum of a queryset's one column (0 for no rows), as a scalar subquery."""

    template = "(SELECT COALESCE(SUM(summed.n), 0) FROM (%(subquery)s) summed (n))"
    output_field = BigIntegerField()


class CountingPaginator(Paginator):
    """Django's paginator that reads a page and the list's count in one query: the count
    is a scalar subquery of the page's query (PostgreSQL runs it once, as it ran the
    separate ``COUNT``), so a list answer makes one round trip fewer.

    Only a page that has rows is read this way; an empty one (past the last page, or an
    empty list) and page numbers that are not whole numbers ≥ 1 go Django's way (count
    first), which raises or answers as it always did. For querysets of model instances
    without orphans; anything else goes Django's way too.

    ``total``: a queryset whose one column sums to the list's count (counts kept
    elsewhere, ``PatientViewSet.list_total``), read in place of counting the rows.
    """

    def __init__(self, object_list, per_page, *args, total: QuerySet | None = None,
                 **kwargs) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.total = total

    def page(self, number):
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            return super().page(number)
        if wanted < 1 or self.orphans or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        bottom = (wanted - 1) * self.per_page
        count = CountOf(self.object_list) if self.total is None else SumOf(self.total)
        rows = list(self.object_list.annotate(**{TOTAL: count})[bottom:bottom + self.per_page])
        if not rows or not isinstance(rows[0], Model):
            return super().page(number)
        self.__dict__["count"] = getattr(rows[0], TOTAL)  # Paginator.count, cached
        return self._get_page(rows, wanted, self)


class CountingPagination(RegistryPagination):
    """``RegistryPagination`` reading the count with the page (``CountingPaginator``); a
    view with ``list_total()`` may give the count's source (``None``: count the rows)."""

    django_paginator_class = CountingPaginator

    def paginate_queryset(self, queryset, request, view=None):
        list_total = getattr(view, "list_total", None)
        total = list_total() if list_total is not None else None
        self.django_paginator_class = partial(CountingPaginator, total=total)
        return super().paginate_queryset(queryset, request, view)
