"""Pages: exports for data managers and researchers, imports for data managers."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from exchange import services
from exchange.datasets import DATASETS, code_rows, dictionary_markdown, dictionary_rows
from exchange.files import collect, megabytes, upload_too_large
from exchange.forms import RAW, ExportForm, ImportForm
from exchange.models import ExportRecord, ImportRecord, Source
from exchange.writers import csv_text
from registry.scoping import can_export, can_export_identifiers, can_import, load_memberships

DICTIONARY = {
    "data_dictionary.csv": (lambda: csv_text(dictionary_rows()), services.CONTENT_TYPES["csv"]),
    "codes.csv": (lambda: csv_text(code_rows()), services.CONTENT_TYPES["csv"]),
    "data_dictionary.md": (lambda: dictionary_markdown() + "\n", "text/markdown; charset=utf-8"),
}


def _refused(request, error: ValidationError) -> HttpResponse:
    return render(request, "exchange/refused.html", {"errors": error.messages}, status=400)


@login_required
@require_GET
def exports(request):
    load_memberships(request.user)
    if not can_export(request.user):
        raise PermissionDenied(_("Exports need the data manager or researcher role."))
    form = ExportForm(request.GET or None, user=request.user)
    return render(request, "exchange/exports.html", {
        "form": form, "datasets": DATASETS, "query": request.GET.urlencode(),
        "may_identify": can_export_identifiers(request.user),
        "recent": ExportRecord.objects.filter(user=request.user)[:10],
    })


@login_required
@require_GET
def export_file(request, name: str, format: str):
    filename = f"{name}.{format}"
    if filename in DICTIONARY:  # describes the formats; holds no patient data
        content, content_type = DICTIONARY[filename]
        response = HttpResponse(content(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    datasets, format = services.export_request(name, format)
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        return _refused(request, ValidationError(
            [f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()]))
    try:
        job = services.export_start(
            user=request.user, source=Source.PAGE, datasets=datasets, format=format,
            center=form.cleaned_data["center"] or None,
            diagnosis=form.cleaned_data["diagnosis"] or None,
            identifiers=form.cleaned_data["identifiers"],
        )
    except ValidationError as error:
        return _refused(request, error)
    # A person downloads from this page, and may open a CSV file in Excel: safe unless
    # raw is asked for. The API and the command are for programs and stay raw.
    return services.file_response(job, format, spreadsheet_safe=form.cleaned_data["csv"] != RAW)


@login_required
def imports(request):
    load_memberships(request.user)
    if not can_import(request.user):
        raise PermissionDenied(_("Imports need the data manager role."))
    refusal = None
    if request.method == "POST":
        # A body over the limit is never read (exchange.uploads stops the parser).
        refusal = upload_too_large(_content_length(request))
    if refusal:
        form = ImportForm.refused(refusal)
    else:
        form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploads = form.cleaned_data["files"]
        try:
            refusal = upload_too_large(sum(f.size for f in uploads))
            if refusal:
                raise ValidationError(refusal)
            files = collect((f.name, f) for f in uploads)
        except ValidationError as error:
            form.add_error("files", error.messages)
        else:
            with transaction.atomic():
                record = services.import_start(user=request.user, source=Source.PAGE,
                                               mode=form.cleaned_data["mode"], files=files)
                services.import_enqueue(record)
            messages.success(request, _("Import %(number)s started.") % {"number": record.pk})
            return redirect("exchange:import_detail", pk=record.pk)
    recent = ImportRecord.objects.defer("upload")
    if not request.user.is_superuser:
        recent = recent.filter(user=request.user)
    return render(request, "exchange/imports.html", {
        "form": form, "recent": recent[:10],
        "datasets": [d for d in DATASETS if d.importable],
        "max_upload": megabytes(settings.IMPORT_MAX_UPLOAD_BYTES),
    }, status=413 if refusal else 200)


def _content_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


@login_required
@require_GET
def import_detail(request, pk: int):
    records = ImportRecord.objects.defer("upload")
    if not request.user.is_superuser:
        records = records.filter(user=request.user)
    record = get_object_or_404(records, pk=pk)
    return render(request, "exchange/import_detail.html", {"record": record})
