from django.urls import path, re_path

from exchange.api import views

app_name = "exchange-api"

urlpatterns = [
    path("exports/", views.ExportDictionaryView.as_view(), name="exports"),
    path("exports/<slug:dataset>/", views.ExportView.as_view(), name="export"),
    # A regular expression, not path(): the schema generator reads an unescaped ``$`` as
    # the end of the pattern and would drop it from the documented path.
    re_path(r"^fhir/Patient/(?P<id>[0-9]+)/\$everything$",
            views.FhirPatientEverythingView.as_view(), name="fhir-patient-everything"),
    path("fhir/CodeSystem/ivig-registry", views.FhirCodeSystemView.as_view(),
         name="fhir-code-system"),
]
