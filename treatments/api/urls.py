"""API routes of the treatments domain that sit under another resource's prefix.

``patients/{id}/outcome/`` keeps the name the router gave it when it was an action of
``PatientViewSet`` (``api:patient-outcome``, with the format-suffix twin): a router of its
own, since ``patient`` is the patients router's basename.
"""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from treatments.api.views import PatientOutcomeViewSet

router = SimpleRouter()
router.register("patients", PatientOutcomeViewSet, basename="patient")

urlpatterns = format_suffix_patterns(router.urls)
