from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="list"),
    path("patients/new/", views.patient_create, name="new"),
    path("patients/<int:pk>/", views.patient_detail, name="detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="edit"),
    path("patients/<int:pk>/summary.pdf", views.patient_summary_pdf, name="summary_pdf"),
    path("patients/<int:pk>/visits/new/", views.visit_form, name="visit_new"),
    path("patients/<int:pk>/visits/<int:visit_pk>/edit/", views.visit_form, name="visit_edit"),
    path("patients/<int:pk>/visits/<int:visit_pk>/sign/", views.visit_sign, name="visit_sign"),
    path("patients/<int:pk>/visits/<int:visit_pk>/unlock/", views.visit_unlock,
         name="visit_unlock"),
    path("patients/<int:pk>/titres/new/", views.titre_new, name="titre_new"),
    path("patients/<int:pk>/titres/<int:record_pk>/edit/", views.titre_edit, name="titre_edit"),
    path("patients/<int:pk>/paraproteins/new/", views.paraprotein_new, name="paraprotein_new"),
    path("patients/<int:pk>/paraproteins/<int:record_pk>/edit/", views.paraprotein_edit,
         name="paraprotein_edit"),
    path("patients/<int:pk>/prior-treatments/new/", views.prior_treatment_new,
         name="prior_treatment_new"),
    path("patients/<int:pk>/prior-treatments/<int:record_pk>/edit/", views.prior_treatment_edit,
         name="prior_treatment_edit"),
    path("patients/<int:pk>/nerve-studies/new/", views.nerve_study_form, name="nerve_study_new"),
    path("patients/<int:pk>/nerve-studies/<int:study_pk>/edit/", views.nerve_study_form,
         name="nerve_study_edit"),
]
