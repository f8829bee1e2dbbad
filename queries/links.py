"""Where a query's record is edited on the pages (a URL name and its arguments)."""

from __future__ import annotations

from django.urls import reverse

from queries.models import Query

EDIT_PAGES = {
    "patients.patient": ("patients:edit", None),
    "patients.visit": ("patients:visit_edit", "visit_pk"),
    "treatments.series": ("treatments:series_edit", "series_pk"),
    "patients.titre": ("patients:titre_edit", "record_pk"),
    "patients.paraprotein": ("patients:paraprotein_edit", "record_pk"),
    "patients.priortreatment": ("patients:prior_treatment_edit", "record_pk"),
    "patients.nervestudy": ("patients:nerve_study_edit", "study_pk"),
}


def record_url(query: Query) -> str:
    name, argument = EDIT_PAGES[query.record_model]
    kwargs = {"pk": query.patient_id}
    if argument:
        kwargs[argument] = query.record_id
    return reverse(name, kwargs=kwargs)
