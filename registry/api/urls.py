"""REST API v1 (api.md): the root, auth and schema here; each app's resources from its own
``api/urls.py`` (included by name: the core imports no domain app), all in namespace ``api``."""

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import APIRootView
from rest_framework.urlpatterns import format_suffix_patterns

from registry.api.auth import ObtainToken

#: The apps whose ``api/urls.py`` serves resources under /api/v1/.
RESOURCE_URLCONFS = ("registry.api.centers", "registry.api.access_log", "patients.api.urls",
                     "treatments.api.urls", "queries.api.urls")

app_name = "api"

resources = [include(name) for name in RESOURCE_URLCONFS]


def root_entries() -> dict[str, str]:
    """What DRF's DefaultRouter lists at the root: each router's prefix → its list route."""
    return {
        prefix: f"{basename}-list"
        for urlconf, _app, _namespace in resources
        if (router := getattr(urlconf, "router", None)) is not None
        for prefix, _viewset, basename in router.registry
    }


@csrf_exempt  # answers 404 to every method; nothing to protect
def not_found(request, unmatched: str) -> JsonResponse:
    """Any other path under the API ending in ``/`` (``patients/abc/outcome/``) answers a
    JSON 404 like the API's own, not the site's HTML page; a path without its final slash
    still gets Django's redirect to the one with it."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    *format_suffix_patterns([
        path("", APIRootView.as_view(api_root_dict=root_entries()), name="api-root"),
    ]),
    *(path("", resource) for resource in resources),
    path("auth/token/", ObtainToken.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: no inline script (CSP).
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[]),
        name="docs",
    ),
]
