from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from exchange import files, imports, services
from exchange.datasets import IMPORTABLE
from exchange.management.commands._account import command_account
from exchange.models import Source


class Command(BaseCommand):
    help = (
        "Import CSV files in the export's formats (files named after their dataset, a "
        "directory of them, or a ZIP): every row is validated first and nothing is written "
        "unless all are valid (or --valid-only). Re-importing the same files changes nothing."
    )
    # The system checks are the deployment's (``manage.py check``, ``migrate``), not each
    # import's: they were 9 % of a 1,000-patient import (issue 19, bench/README.md).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH",
                            help=f"CSV files ({', '.join(d.filename for d in IMPORTABLE)}), "
                                 "directories or ZIPs.")
        parser.add_argument("--user", help="Import as this data manager (default: the "
                                           "operator, every centre).")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--valid-only", action="store_true",
                          help="Write the valid rows and skip the bad ones.")
        mode.add_argument("--dry-run", action="store_true",
                          help="Validate and report, write nothing.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, paths, user, valid_only, dry_run, quiet, **options):
        mode = (imports.VALID_ONLY if valid_only else imports.DRY_RUN if dry_run
                else imports.ALL_OR_NOTHING)
        account, username = command_account(user)
        try:
            data = files.read_paths(Path(p) for p in paths)
            record = services.import_start(user=account, source=Source.COMMAND, mode=mode,
                                           files=data, username=username)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        with tqdm(unit="patient", disable=quiet, file=self.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            record = services.import_execute(import_id=record.pk, progress=progress)
        for problem in record.errors:
            where = f"{problem['file']} line {problem['line']}"
            column = f", {problem['column']}" if problem["column"] else ""
            self.stderr.write(f"{where}{column}: {problem['message']}")
        if record.more_errors:
            self.stderr.write(f"… and {record.more_errors} more ({record.error_count} in all).")
        for filename, counts in record.count_rows():
            summary = ", ".join(f"{n} {what}" for what, n in counts) or "no rows"
            self.stdout.write(f"  {filename:<22} {summary}")
        if record.committed:
            self.stdout.write(f"Import {record.pk}: written"
                              f"{' (bad rows skipped)' if record.error_count else ''}.")
        elif record.error_count and mode != imports.VALID_ONLY:
            raise CommandError(f"Import {record.pk}: {record.error_count} bad row(s); "
                               "nothing was written.")
        else:
            what = "valid, nothing written (dry run)" if dry_run else "nothing to change"
            self.stdout.write(f"Import {record.pk}: {what}.")
