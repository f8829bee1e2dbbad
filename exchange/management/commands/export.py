import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

import catalogues as cat
from exchange import services
from exchange.datasets import BY_NAME, DATASETS, dictionary_markdown
from exchange.management.commands._account import command_account
from exchange.models import Source


class Command(BaseCommand):
    help = (
        "Export registry data in the tidy exchange formats (pseudonymised unless "
        "--identifiers): a directory of CSV files, a ZIP of them, or an XLSX workbook, "
        "each with the data dictionary; or a CDISC ODM 1.3.2 file (--format odm)."
    )

    def add_arguments(self, parser):
        parser.add_argument("datasets", nargs="*", metavar="DATASET",
                            help=f"Datasets to export (default: all): "
                                 f"{', '.join(d.name for d in DATASETS)}.")
        parser.add_argument("--out", required=True,
                            help="Directory (csv), .zip, .xlsx or .xml (odm) file; '-' writes one "
                                 "dataset's CSV to standard output.")
        parser.add_argument("--format", choices=services.FORMATS, default=None,
                            help="csv (a directory), zip, xlsx or odm (CDISC ODM 1.3.2 XML); "
                                 "default from --out.")
        parser.add_argument("--user", help="Export as this user (their centres and role); "
                                           "default: the operator, every centre.")
        parser.add_argument("--center", "--centre", dest="center", help="Only this centre.")
        parser.add_argument("--diagnosis", choices=cat.codes(cat.DIAGNOSES),
                            help="Only this diagnosis.")
        parser.add_argument("--identifiers", action="store_true",
                            help="Add name, date of birth and hospital number (data managers "
                                 "of the patient's centre only).")
        parser.add_argument("--dictionary-only", action="store_true",
                            help="Write the data dictionary (CSV and Markdown) only.")

    def handle(self, *args, datasets, out, format, user, center, diagnosis, identifiers,
               dictionary_only, **options):
        if dictionary_only:
            directory = Path(out)
            paths = services.write_dictionary(directory)
            (directory / "data_dictionary.md").write_text(dictionary_markdown() + "\n",
                                                          encoding="utf-8")
            self.stdout.write(f"Wrote {', '.join(p.name for p in paths)} and "
                              f"data_dictionary.md to {directory}.")
            return
        format = format or self.format_of(out)
        names = datasets or [d.name for d in DATASETS]
        if out == "-" and (format != "csv" or len(names) != 1):
            raise CommandError("--out - writes exactly one dataset as CSV.")
        account, username = command_account(user)
        try:
            job = services.export_start(
                user=account, source=Source.COMMAND, datasets=names, format=format,
                center=center, diagnosis=diagnosis, identifiers=identifiers, username=username,
            )
        except ValidationError as error:
            raise CommandError("; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )) from error
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        if out == "-":
            for chunk in services.export_csv(job):
                sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            return
        if format == "csv":
            services.export_directory(job, Path(out))
        elif format in ("zip", "odm"):
            write = services.export_zip if format == "zip" else services.export_odm
            with open(out, "wb") as target:
                for chunk in write(job):
                    target.write(chunk)
        else:
            with open(out, "wb") as target:
                services.export_xlsx(job, target)
        record = job.record
        for name in job.datasets:
            self.stdout.write(f"  {BY_NAME[name].filename:<22} {record.row_counts[name]:>9} rows")
        kind = "with direct identifiers" if identifiers else "pseudonymised"
        self.stdout.write(f"Export {record.pk} ({kind}, {record.rows} rows) written to {out}.")

    @staticmethod
    def format_of(out: str) -> str:
        if out.endswith(".zip"):
            return "zip"
        if out.endswith(".xlsx"):
            return "xlsx"
        if out.endswith(".xml"):
            return "odm"
        return "csv"
