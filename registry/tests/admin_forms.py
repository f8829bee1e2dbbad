"""Read an admin change page's form back as the browser would post it."""

from __future__ import annotations

from typing import Any


def _bound_values(form, data: dict[str, Any]) -> None:
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        if isinstance(value, list | tuple):
            data[field.html_name] = [str(v) for v in value]
        else:
            data[field.html_name] = str(value)


def posted_form(response) -> dict[str, Any]:
    """The main form and every inline formset of an admin add/change page, as posted."""
    data: dict[str, Any] = {}
    _bound_values(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _bound_values(formset.management_form, data)
        for form in formset.forms:
            _bound_values(form, data)
    return data
