"""``{% patient_queries patient %}``: the patient page's "Open queries" section (the
clinician answers there). The patient page loads it by name, so ``patients`` imports
nothing of this app."""

from __future__ import annotations

from django import template

from queries.forms import CloseForm
from queries.selectors import patient_unresolved_queries
from queries.views import decorate
from registry.scoping import can_answer_query

register = template.Library()


@register.inclusion_tag("queries/patient_queries.html", takes_context=True)
def patient_queries(context, patient) -> dict:
    request = context["request"]
    if not can_answer_query(request.user, patient.center_id):
        return {"shown": False}
    rows = patient_unresolved_queries(patient_id=patient.pk)
    for row in rows:
        row.patient = patient  # already read by the page
    return {"shown": True, "queries": decorate(request.user, rows), "patient": patient,
            "next": request.get_full_path(), "close_form": CloseForm(),
            "csrf_token": context.get("csrf_token")}
