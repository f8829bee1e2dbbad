"""Admin of centres and memberships, and what every clinical admin shares: the centre
scoping (``CentreScopedAdmin``) and writing through the services with the version check
(``ServiceAdmin``).

A non-superuser sees in the admin only the records of the centres where they are data
manager, picks related rows only from those centres, and writes only there; the model
permissions come from the role groups (``registry.roles``). A clinical record's change
form carries the version it was read at; a save on a stale page is refused with a
message, never written over another data manager's change.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from registry.models import AccessLog, Center, Membership
from registry.scoping import (
    CENTRE_PATHS,
    access_log_center_ids,
    admin_center_ids,
    can_admin_write,
    can_read_access_log,
    center_id_of,
    scope_queryset,
)
from registry.services import VersionConflict, membership_revoke, user_groups_sync
from registry.signatures import RecordLocked, is_signed, signature_text


class CentreScopedAdmin:
    """Mix into a ModelAdmin of a centre-scoped model (``registry.scoping.CENTRE_PATHS``)."""

    def get_queryset(self, request):
        return scope_queryset(
            super().get_queryset(request), request.user,
            center_ids=admin_center_ids(request.user),
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related._meta.label_lower in CENTRE_PATHS:
            queryset = kwargs.get("queryset", related._default_manager.all())
            kwargs["queryset"] = scope_queryset(
                queryset, request.user, center_ids=admin_center_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, *args):
        ids = admin_center_ids(request.user)
        return (ids is None or bool(ids)) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._writable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._writable(request, obj)

    def _writable(self, request, obj) -> bool:
        return obj is None or can_admin_write(request.user, center_id_of(obj))

    def history_view(self, request, object_id, extra_context=None):
        """The audit trail of a record of the user's centres only (deleted ones included)."""
        key = unquote(object_id)
        if not self.get_queryset(request).filter(pk=key).exists():
            history = getattr(self.model, "history", None)
            # A historical row's pk is its history_id; the record's own id is a plain field.
            record = {self.model._meta.pk.attname: key}
            latest = (history.filter(**record).order_by("-history_date").first()
                      if history else None)
            ids = admin_center_ids(request.user)
            if latest is None or not (ids is None or center_id_of(latest.instance) in ids):
                raise Http404("No such record in your centres.")
        return super().history_view(request, object_id, extra_context)


class VersionedAdminForm(forms.ModelForm):
    """An admin form that carries the record's ``version`` as it was read (the hidden
    ``read_version``: ``version`` itself is not editable), so the service can refuse a save
    made on a stale page; a refused save's errors are shown on it."""

    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    #: The refusal of the service, set on the form class that re-renders a refused save.
    refusal: ValidationError | VersionConflict | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("read_version", self.instance.version)

    def clean(self):
        cleaned = super().clean()
        refusal = self.refusal
        if isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict"):
            for field, texts in refusal.message_dict.items():
                known = field in self.fields and field != NON_FIELD_ERRORS
                self.add_error(field if known else None, texts)
        elif isinstance(refusal, ValidationError):
            self.add_error(None, refusal.messages)
        elif refusal is not None:
            self.add_error(None, str(refusal))
        return cleaned


class ServiceRefused(Exception):
    """A service refused an admin save; the change form is shown again with its reasons."""

    def __init__(self, error: ValidationError | VersionConflict | RecordLocked):
        super().__init__(str(error))
        self.error = error


Rows = list[dict[str, Any]]


class ServiceAdmin:
    """Mix into a ModelAdmin whose records the domain services write (STYLE.md §3).

    Django's admin would save the form and each inline formset itself; here nothing is
    saved by the admin: ``save_related`` hands the form's fields and the inlines' rows to
    ``service_save`` (the subclass calls its service), which validates, checks the
    ``version`` the page was read at (a stale save is refused, never an overwrite),
    bumps it and marks the outcome stale, in one transaction. A refusal rolls the
    whole save back and shows the form again with the service's message; deletions go
    through ``service_delete``.
    """

    if TYPE_CHECKING:  # provided by the ModelAdmin this is mixed into
        def get_queryset(self, request: HttpRequest) -> QuerySet[Any]: ...

    form = VersionedAdminForm

    def service_save(self, request, *, obj, data: dict[str, Any], version: int | None,
                     children: Mapping[type[models.Model], Rows | None], change: bool):
        raise NotImplementedError  # pragma: no cover - each admin names its service

    def service_delete(self, request, *, obj) -> None:
        raise NotImplementedError  # pragma: no cover

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form
        return type(form.__name__, (form,), {"refusal": refusal})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            conflict = self._stale(request, object_id)
            if conflict is not None:
                return self._refused(request, conflict, object_id, form_url, extra_context)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:  # its transaction was rolled back
            return self._refused(request, refused.error, object_id, form_url, extra_context)

    def _stale(self, request, object_id) -> VersionConflict | None:
        """The version check before the inlines are read: the first save replaced their
        rows, so a stale page's inline ids no longer exist and would hide the reason. The
        service checks again under a row lock."""
        current = (self.get_queryset(request).filter(pk=unquote(object_id))
                   .values_list("version", flat=True).first())
        sent = request.POST.get("read_version", "")
        if current is None:
            return None  # the admin answers a missing record itself
        if not sent.isdigit() or int(sent) != current:
            return VersionConflict(current=current, sent=int(sent) if sent.isdigit() else None)
        return None

    def _refused(self, request, error, object_id, form_url, extra_context):
        """The change form again, bound to what was posted, with the service's reasons."""
        request._service_refusal = error
        text = (str(error) if isinstance(error, (VersionConflict, RecordLocked))
                else "Not saved: " + " ".join(error.messages))
        messages.error(request, text)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Nothing here: the record is written with its inlines in ``save_related``."""

    def save_related(self, request, form, formsets, change):
        fields = {f.name for f in self.model._meta.get_fields() if getattr(f, "editable", False)}
        data = {name: value for name, value in form.cleaned_data.items()
                if name in fields}
        children = {formset.model: self._rows(formset) for formset in formsets}
        try:
            saved = self.service_save(
                request, obj=form.instance, data=data, children=children, change=change,
                version=form.cleaned_data.get("read_version"),
            )
        except (ValidationError, VersionConflict, RecordLocked) as error:
            raise ServiceRefused(error) from error
        form.instance.pk = saved.pk
        form.instance.version = getattr(saved, "version", None)
        form.instance._state.adding = False
        for formset in formsets:  # what the change message lists
            kept = [f for f in formset.forms if f.has_changed() and f not in formset.deleted_forms]
            formset.new_objects = [f.instance for f in kept if f.instance.pk is None]
            formset.changed_objects = [(f.instance, f.changed_data) for f in kept
                                       if f.instance.pk is not None]
            formset.deleted_objects = [f.instance for f in formset.deleted_forms
                                       if f.instance.pk is not None]

    @staticmethod
    def _rows(formset) -> Rows | None:
        """The inline's rows as the service takes them, or None when left unchanged."""
        if not formset.has_changed():
            return None
        skip = {"id", "DELETE", formset.fk.name}
        return [
            {name: value for name, value in f.cleaned_data.items() if name not in skip}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]

    def delete_model(self, request, obj):
        self.service_delete(request, obj=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.service_delete(request, obj=obj)


class SignedRecordAdmin:
    """Mix (first) into the admin of a ``SignedRecord`` (clinical-rules.md §11): a signed
    record is shown read-only, with who signed it and when, and cannot be deleted; its
    inlines (``SignedParentInline``) are read-only with it. The services refuse the write
    anyway (``registry.signatures.check_unsigned``); unlocking is the data manager's page."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "signature"] if obj is not None else fields

    @admin.display(description="Signature")
    def signature(self, obj) -> str:
        return signature_text(obj) if is_signed(obj) else "not signed"

    def has_change_permission(self, request, obj=None):
        return not is_signed(obj) and super().has_change_permission(
            request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_signed(obj) and super().has_delete_permission(
            request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, unquote(object_id))
        if record is not None and is_signed(record) and request.method == "GET":
            messages.warning(request, f"This {record._meta.verbose_name} is "
                             f"{signature_text(record)} — read-only until a data manager "
                             "unlocks it with a reason (on the patient's page).")
        return super().change_view(request, object_id, form_url,
                                   extra_context)

    def delete_queryset(self, request, queryset):
        signed = [obj for obj in queryset if is_signed(obj)]
        if signed:
            messages.error(request, "Nothing deleted: " + "; ".join(
                f"{obj} is {signature_text(obj)}" for obj in signed) + ".")
            return
        super().delete_queryset(request, queryset)


class SignedParentInline:
    """Mix into the inline of a signed record's nested list (MRC grades, lots, adverse
    events): read-only while the parent is signed."""

    def has_add_permission(self, request, obj=None):
        return not is_signed(obj) and super().has_add_permission(
            request, obj)

    def has_change_permission(self, request, obj=None):
        return not is_signed(obj) and super().has_change_permission(
            request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_signed(obj) and super().has_delete_permission(
            request, obj)


class ClinicalRecordAdmin(ServiceAdmin, CentreScopedAdmin, SimpleHistoryAdmin):
    """A clinical record's admin: centre-scoped, audited, written through its service."""

    history_list_display = ["history_source"]


class PatientRecordAdmin(ClinicalRecordAdmin):
    """A record of one patient; the subclass writes it through its app's services
    (``service_save`` / ``service_delete``)."""

    list_select_related = ["patient"]
    search_fields = ["patient__code"]
    readonly_fields = ["version", "created_at", "updated_at"]
    autocomplete_fields = ["patient"]


def centre_filter(path: str):
    """A list filter that offers only the centres of the rows the user may see."""
    return (path, admin.RelatedOnlyFieldListFilter)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Center)
class CenterAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Membership:
            touched = [*formset.new_objects, *(obj for obj, _ in formset.changed_objects),
                       *formset.deleted_objects]
            for user in {membership.user for membership in touched}:
                user_groups_sync(user=user)


@admin.register(Membership)
class MembershipAdmin(CentreScopedAdmin, SimpleHistoryAdmin):
    """Roles are granted here or with ``manage.py grant``; both keep the groups in step."""

    list_display = ["user", "center", "role"]
    list_filter = ["role", centre_filter("center")]
    search_fields = ["user__username", "center__code"]
    list_select_related = ["user", "center"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "center"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        user_groups_sync(user=obj.user)

    def delete_model(self, request, obj):
        membership_revoke(membership=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user"):
            membership_revoke(membership=membership, by=request.user)


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Who was shown which patient's direct identifiers: read-only, for the data managers
    of the patient's centre (and superusers); the table itself is append-only."""

    list_display = ["at", "username", "patient_code", "center", "surface", "path"]
    list_filter = ["surface", centre_filter("center"), ("at", admin.DateFieldListFilter)]
    search_fields = ["username", "patient_code"]
    list_select_related = ["center"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        centers = access_log_center_ids(request.user)
        return queryset if centers is None else queryset.filter(center_id__in=centers)

    def has_module_permission(self, request) -> bool:
        return can_read_access_log(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_read_access_log(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
