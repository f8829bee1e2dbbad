"""REST API v1 (api.md): one router for the resources, plus auth, schema and read-only views."""

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from patients.api import views as patients
from registry.api.auth import ObtainToken
from registry.api.centers import CenterViewSet
from treatments.api import views as treatments

router = DefaultRouter()
router.register("centers", CenterViewSet, basename="center")
router.register("patients", patients.PatientViewSet, basename="patient")
router.register("titres", patients.TitreViewSet, basename="titre")
router.register("paraproteins", patients.ParaproteinViewSet, basename="paraprotein")
router.register("prior-treatments", patients.PriorTreatmentViewSet, basename="prior-treatment")
router.register("series", treatments.SeriesViewSet, basename="series")
router.register("visits", patients.VisitViewSet, basename="visit")
router.register("nerve-studies", patients.NerveStudyViewSet, basename="nerve-study")

app_name = "api"


@csrf_exempt  # answers 404 to every method; nothing to protect
def not_found(request, unmatched: str) -> JsonResponse:
    """Any other path under the API ending in ``/`` (``patients/abc/outcome/``) answers a
    JSON 404 like the API's own, not the site's HTML page; a path without its final slash
    still gets Django's redirect to the one with it."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("", include(router.urls)),
    path("", include("treatments.api.urls")),  # patients/{id}/outcome/
    path("auth/token/", ObtainToken.as_view(), name="token"),
    path("lots/<str:lot>/patients/", treatments.LotPatientsView.as_view(), name="lot-patients"),
    path("reports/table1/", treatments.Table1View.as_view(), name="report-table1"),
    path("reports/table2/", treatments.Table2View.as_view(), name="report-table2"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: no inline script (CSP).
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[]),
        name="docs",
    ),
]
