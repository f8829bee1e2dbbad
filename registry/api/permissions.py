"""Write rights of the API's records (reads are scoped by the querysets)."""

from __future__ import annotations

from rest_framework import permissions

from registry.scoping import can_write, user_center_ids


class WriteRole(permissions.BasePermission):
    """Reads for every authenticated user; writes need the clinician or data-manager role
    in the record's centre (researchers get 403)."""

    message = "Writing needs the clinician or data manager role in this centre."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or "pk") is not None:
            return True  # a record: 404 if not in the user's centres, then the object check
        user = request.user
        return user.is_superuser or any(
            can_write(user, center_id) for center_id in (user_center_ids(user) or [])
        )

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_write(request.user, view.center_id_of(obj))
