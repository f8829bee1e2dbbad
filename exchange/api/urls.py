from django.urls import path

from exchange.api import views

app_name = "exchange-api"

urlpatterns = [
    path("exports/", views.ExportDictionaryView.as_view(), name="exports"),
    path("exports/<slug:dataset>/", views.ExportView.as_view(), name="export"),
    path("fhir/Patient/<int:id>/$everything", views.FhirPatientEverythingView.as_view(),
         name="fhir-patient-everything"),
    path("fhir/CodeSystem/ivig-registry", views.FhirCodeSystemView.as_view(),
         name="fhir-code-system"),
]
