from django.urls import path

from treatments import views

app_name = "treatments"

urlpatterns = [
    path("patients/<int:pk>/series/new/", views.series_form, name="series_new"),
    path("patients/<int:pk>/series/<int:series_pk>/edit/", views.series_form,
         name="series_edit"),
    path("patients/<int:pk>/series/dosing/", views.series_dosing, name="series_dosing"),
    path("patients/<int:pk>/tailoring/new/", views.tailoring_form, name="tailoring_new"),
    path("patients/<int:pk>/tailoring/<int:episode_pk>/edit/", views.tailoring_form,
         name="tailoring_edit"),
    path("worklist/", views.worklist_page, name="worklist"),
    path("patients/<int:pk>/series/<int:series_pk>/sign/", views.series_sign,
         name="series_sign"),
    path("patients/<int:pk>/series/<int:series_pk>/unlock/", views.series_unlock,
         name="series_unlock"),
    path("lots/", views.lots, name="lots"),
    path("reports/", views.reports, name="reports"),
    path("reports/consumption.csv", views.consumption_csv, name="consumption_csv"),
    path("reports/<str:table>.csv", views.report_csv, name="report_csv"),
]
