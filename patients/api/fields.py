"""Serializer fields that point at a patient."""

from __future__ import annotations

from rest_framework import serializers

from patients.models import Patient
from registry.scoping import scope_patients


class ScopedPatientField(serializers.PrimaryKeyRelatedField):
    """A patient id limited to the user's centres: another centre's id is 'does not exist'."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = Patient.objects.all()
        if request is None:
            return queryset.none()
        return scope_patients(queryset, request.user)
