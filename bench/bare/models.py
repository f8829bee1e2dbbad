"""One plain table, shaped like a patient's own columns, with no relations."""

from django.db import models


class Item(models.Model):
    code = models.CharField(max_length=32, unique=True)
    center = models.PositiveIntegerField()
    sex = models.CharField(max_length=1)
    birth_year = models.PositiveSmallIntegerField()
    diagnosis = models.CharField(max_length=20)
    onset_year = models.PositiveSmallIntegerField(null=True)
    neuropathy_pattern = models.CharField(max_length=20, null=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
