"""The centres API (``centers/``): the registry's own organisation, a core concept."""

from __future__ import annotations

from rest_framework import mixins, permissions, viewsets
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from registry import services as registry_services
from registry.api.serializers import VersionedSerializer, split
from registry.api.viewsets import RegistryViewMixin
from registry.models import Center
from registry.scoping import is_superuser, scope_centers


class CenterSerializer(VersionedSerializer):
    class Meta:
        model = Center
        fields = ["id", "name", "code", "version"]


class SuperuserWrites(permissions.BasePermission):
    """Centres are the registry's own organisation: a superuser creates and renames them.
    Another centre stays a 404 for everyone else, whatever the method."""

    message = "Only a superuser creates or renames a centre."

    def has_permission(self, request, view) -> bool:
        return view.action != "create" or is_superuser(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in permissions.SAFE_METHODS or is_superuser(request.user)


class CenterViewSet(RegistryViewMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    """The centres you belong to (a superuser sees all); superusers create and rename them
    (``version`` as for every writable record); a centre is never deleted here."""

    serializer_class = CenterSerializer
    permission_classes = [permissions.IsAuthenticated, SuperuserWrites]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering_fields = ["code", "name", "id"]
    filterset_fields = ["code"]

    def get_queryset(self):
        return scope_centers(Center.objects.all(), self.request.user)

    def perform_create(self, serializer):
        data, _, _ = split(serializer.validated_data, ())
        serializer.instance = registry_services.center_create(data=data, by=self.request.user)

    def perform_update(self, serializer):
        data, _, version = split(serializer.validated_data, ())
        serializer.instance = registry_services.center_update(
            center=serializer.instance, version=version, data=data, by=self.request.user)


# Included by ``registry.api.urls`` like each app's ``api/urls.py`` (namespace ``api``).
router = SimpleRouter()
router.register("centers", CenterViewSet, basename="center")
urlpatterns = format_suffix_patterns(router.urls)  # as DRF's DefaultRouter: ``.json`` too
