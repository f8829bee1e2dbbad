from django.urls import path

from exchange.api import views

app_name = "exchange-api"

urlpatterns = [
    path("exports/", views.ExportDictionaryView.as_view(), name="exports"),
    path("exports/<slug:dataset>/", views.ExportView.as_view(), name="export"),
]
