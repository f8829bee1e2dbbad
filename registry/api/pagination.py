from rest_framework.pagination import PageNumberPagination


class RegistryPagination(PageNumberPagination):
    """api.md: 50 per page, ``?page=N``, ``?page_size=`` up to 500 (larger sizes are capped)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
