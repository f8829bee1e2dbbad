"""The treatments domain's API routes, included by ``registry.api.urls`` (namespace ``api``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from treatments.api import reference, views

router = SimpleRouter()
router.register("series", views.SeriesViewSet, basename="series")
router.register("rule-sets", reference.RuleSetViewSet, basename="rule-set")
router.register("titre-thresholds", reference.TitreThresholdViewSet, basename="titre-threshold")
router.register("block-criteria", reference.BlockCriteriaViewSet, basename="block-criteria")

urlpatterns = [
    *format_suffix_patterns(router.urls),  # as DRF's DefaultRouter: ``.json`` too
    path("lots/<str:lot>/patients/", views.LotPatientsView.as_view(), name="lot-patients"),
    path("reports/table1/", views.Table1View.as_view(), name="report-table1"),
    path("reports/table2/", views.Table2View.as_view(), name="report-table2"),
]
