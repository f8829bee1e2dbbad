"""API of the reference data the judgements follow (api.md "Additions of 2026-12-01"):
rule sets, titre thresholds and block criteria sets. Writes go through the services in
``treatments.services``, which mark the concerned outcomes stale in the same transaction;
who may write is asked of ``registry.scoping``."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, viewsets

import catalogues as cat
from registry.api.serializers import VersionedSerializer, split
from registry.api.viewsets import RegistryViewMixin
from registry.models import Center
from registry.scoping import can_manage_reference_data
from treatments import services
from treatments.models import BlockCriteriaSet, RuleSet, TitreThreshold


class RuleSetSerializer(serializers.ModelSerializer):
    """A rule-set version: ``parameters`` answers every parameter (those not given on
    creation take the rules' defaults); ``defaults``, the diagnoses it is the default of."""

    defaults = serializers.ListField(
        child=serializers.ChoiceField(choices=cat.DIAGNOSES), required=False, write_only=True,
        help_text="Diagnoses this version is the default rule set of; on creation, makes it so.",
    )
    parameters = serializers.JSONField(required=False)

    class Meta:
        model = RuleSet
        fields = ["id", "version", "description", "defaults", "parameters", "created_at"]
        read_only_fields = ["id", "created_at"]
        # The service names a taken version.
        extra_kwargs: dict[str, dict] = {"version": {"validators": []}}

    def to_representation(self, instance: RuleSet):
        data = super().to_representation(instance)
        parameters = asdict(instance.as_rules())
        parameters.pop("version")
        data["parameters"] = parameters
        data["defaults"] = sorted(row.diagnosis for row in instance.defaults.all())
        return data


class SuperusersCreate(permissions.BasePermission):
    message = "Only a superuser creates a rule-set version."

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or can_manage_reference_data(request.user)


class RuleSetViewSet(RegistryViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Rule-set versions (clinical-rules.md, preamble). Versions are immutable: PUT, PATCH
    and DELETE answer 405; a change is a new version (POST, superusers), which may be made
    the default of diagnoses (their outcomes then go stale and are recomputed)."""

    serializer_class = RuleSetSerializer
    permission_classes = [permissions.IsAuthenticated, SuperusersCreate]
    ordering_fields = ["version", "created_at", "id"]
    filterset_fields: list[str] = []

    def get_queryset(self):
        return RuleSet.objects.prefetch_related("defaults").order_by("version")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.rule_set_create(
            version=data["version"], description=data.get("description", ""),
            parameters=data.get("parameters") or {}, defaults=data.get("defaults", ()),
            by=self.request.user,
        )


class ThresholdCenterField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Center.objects.all()


class TitreThresholdSerializer(VersionedSerializer):
    """``threshold`` is the cut-off (a titre is significantly high at or above it);
    ``center`` null: all centres. A change is a new row with the next ``revision``, so a
    PATCH answers the new row (its own ``id``); the row it replaced stays readable,
    ``current`` false."""

    center = ThresholdCenterField(allow_null=True, required=False, default=None)
    threshold = serializers.DecimalField(source="value", max_digits=12, decimal_places=2,
                                         min_value=0)

    class Meta:
        model = TitreThreshold
        fields = ["id", "center", "antigen", "isotype", "method", "unit", "threshold",
                  "revision", "current", "source", "version"]
        read_only_fields = ["id", "revision", "current"]
        validators: list = []


class ThresholdWriters(permissions.BasePermission):
    """Data managers write their centres' rows, superusers the general ones (and any)."""

    message = ("Data managers write their centres' thresholds; only a superuser writes the"
               " general ones.")

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in permissions.SAFE_METHODS or can_manage_reference_data(
            request.user, center_id=obj.center_id)


class TitreThresholdViewSet(RegistryViewMixin, mixins.CreateModelMixin,
                            mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Titre thresholds (clinical-rules.md §5). The list gives the current row of each
    assay and centre; any row, current or replaced, is readable by id. Each write marks
    the outcomes it concerns stale. Never deleted (405): history explains old outcomes."""

    serializer_class = TitreThresholdSerializer
    permission_classes = [permissions.IsAuthenticated, ThresholdWriters]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering_fields = ["antigen", "revision", "id"]
    filterset_fields = ["center", "antigen", "isotype", "method", "unit"]

    def get_queryset(self):
        rows = TitreThreshold.objects.order_by("antigen", "isotype", "method", "unit",
                                               "center_id", "revision")
        return rows.filter(current=True) if self.action == "list" else rows

    def perform_create(self, serializer):
        data, _, _ = split(serializer.validated_data, ())
        center = data.get("center")
        center_id = center.pk if center else None
        if not can_manage_reference_data(self.request.user, center_id=center_id):
            raise exceptions.PermissionDenied(ThresholdWriters.message)
        serializer.instance = services.titre_threshold_create(data=data, by=self.request.user)

    def perform_update(self, serializer):
        data, _, version = split(serializer.validated_data, ())
        serializer.instance = services.titre_threshold_update(
            threshold=serializer.instance, version=version, data=data, by=self.request.user)


class BlockCriteriaSerializer(serializers.ModelSerializer):
    """A criteria set (clinical-rules.md §4): every parameter, and its ``revision``."""

    parameters = serializers.SerializerMethodField()

    class Meta:
        model = BlockCriteriaSet
        fields = ["id", "code", "description", "parameters", "revision"]

    def get_parameters(self, row: BlockCriteriaSet) -> dict:
        parameters = asdict(row.as_criteria())
        parameters.pop("code")
        return parameters


@extend_schema_view(list=extend_schema(description="The criteria sets with their parameters."))
class BlockCriteriaViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Conduction-block criteria sets; ``?criteria=<code>`` on the outcome, the nerve
    studies names one of them."""

    serializer_class = BlockCriteriaSerializer
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["code", "id"]
    filterset_fields = ["code"]

    def get_queryset(self):
        return BlockCriteriaSet.objects.order_by("code")

