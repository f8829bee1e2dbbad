from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.backup import BackupError, database_restore


class Command(BaseCommand):
    help = ("Replace the whole PostgreSQL database with a backup made by `manage.py backup` "
            "(one transaction: on any error nothing changes). Stop the web and worker "
            "processes first.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default="default")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="Do not ask for confirmation.")

    def handle(self, *args, file: Path, database: str, interactive: bool, **options):
        if interactive:
            answer = input(f"This replaces every row of the {database!r} database with "
                           f"{file}. Type 'yes' to continue: ")
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            database_restore(source=file, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {file}.")
