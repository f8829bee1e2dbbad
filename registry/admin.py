"""Admin of centres and memberships, and the centre scoping every clinical admin shares.

A non-superuser sees in the admin only the records of the centres where they are data
manager, picks related rows only from those centres, and writes only there; the model
permissions come from the role groups (``registry.roles``).
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from registry.models import Center, Membership
from registry.scoping import (
    CENTRE_PATHS,
    admin_center_ids,
    can_admin_write,
    center_id_of,
    scope_queryset,
)
from registry.services import membership_revoke, user_groups_sync


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
