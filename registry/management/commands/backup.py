from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.backup import BackupError, database_dump


class Command(BaseCommand):
    help = ("Dump the PostgreSQL database to FILE (pg_dump custom format, readable by its "
            "owner only; it holds direct identifiers: keep it encrypted). "
            "Restore with `manage.py restore FILE`.")

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", required=True, type=Path, help="Backup file.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, output: Path, database: str, **options):
        try:
            path = database_dump(output=output, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up to {path} ({path.stat().st_size} bytes).")
