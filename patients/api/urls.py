"""The patients domain's API routes, included by ``registry.api.urls`` (namespace ``api``)."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from patients.api import views

router = SimpleRouter()
router.register("patients", views.PatientViewSet, basename="patient")
router.register("titres", views.TitreViewSet, basename="titre")
router.register("paraproteins", views.ParaproteinViewSet, basename="paraprotein")
router.register("prior-treatments", views.PriorTreatmentViewSet, basename="prior-treatment")
router.register("visits", views.VisitViewSet, basename="visit")
router.register("nerve-studies", views.NerveStudyViewSet, basename="nerve-study")

urlpatterns = format_suffix_patterns(router.urls)  # as DRF's DefaultRouter: ``.json`` too
