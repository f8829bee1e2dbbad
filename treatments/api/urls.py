"""The treatments domain's API routes, included by ``registry.api.urls`` (namespace ``api``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from treatments.api import reference, views

router = SimpleRouter()
router.register("series", views.SeriesViewSet, basename="series")
router.register("tailoring", views.TailoringEpisodeViewSet, basename="tailoring")
router.register("rule-sets", reference.RuleSetViewSet, basename="rule-set")
router.register("titre-thresholds", reference.TitreThresholdViewSet, basename="titre-threshold")
router.register("block-criteria", reference.BlockCriteriaViewSet, basename="block-criteria")

# ``patients/{id}/outcome/`` keeps the name the router gave it when it was an action of
# ``PatientViewSet`` (``api:patient-outcome``, with the format-suffix twin): a router of its
# own, since ``patient`` is the patients router's basename.
outcome_router = SimpleRouter()
outcome_router.register("patients", views.PatientOutcomeViewSet, basename="patient")

urlpatterns = [
    # First: the outcome is the most requested of these routes (URLs are tried in order;
    # none of the others starts with ``patients/``).
    *format_suffix_patterns(outcome_router.urls),
    *format_suffix_patterns(router.urls),  # as DRF's DefaultRouter: ``.json`` too
    path("lots/<str:lot>/patients/", views.LotPatientsView.as_view(), name="lot-patients"),
    path("worklist/", views.WorklistView.as_view(), name="worklist"),
    path("reports/table1/", views.Table1View.as_view(), name="report-table1"),
    path("reports/table2/", views.Table2View.as_view(), name="report-table2"),
    path("reports/measures/", views.MeasuresReportView.as_view(), name="report-measures"),
    path("reports/consumption/", views.ConsumptionView.as_view(), name="report-consumption"),
]
