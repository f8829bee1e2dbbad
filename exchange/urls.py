from django.urls import path

from exchange import views

app_name = "exchange"

urlpatterns = [
    path("exports/", views.exports, name="exports"),
    path("exports/<slug:name>.<slug:format>", views.export_file, name="export_file"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
