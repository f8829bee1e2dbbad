from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

import catalogues
from patients.models import Patient
from treatments.services import outcome_recompute_many

BATCH = 200  # patients read, computed and stored together


class Command(BaseCommand):
    help = "Recompute stored outcomes now (after a rule-set change, or to check the data)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--patient", metavar="CODE", help="One patient, by registry code.")
        target.add_argument("--diagnosis", choices=catalogues.codes(catalogues.DIAGNOSES))
        target.add_argument("--all", action="store_true", help="Every patient.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar or table.")

    def handle(self, *args, patient, diagnosis, all, quiet, **options):
        patients = Patient.objects.order_by("code")
        if patient:
            patients = patients.filter(code=patient)
            if not patients.exists():
                raise CommandError(f"No patient with code {patient}.")
        elif diagnosis:
            patients = patients.filter(diagnosis=diagnosis)
        ids = list(patients.values_list("pk", flat=True))
        with tqdm(total=len(ids), unit="patient", disable=quiet, file=self.stderr) as bar:
            for start in range(0, len(ids), BATCH):
                outcome_recompute_many(patient_ids=ids[start:start + BATCH], batch_size=BATCH)
                bar.update(len(ids[start:start + BATCH]))
        self.stdout.write(f"Recomputed {len(ids)} patient(s).")
        if not quiet:
            self.print_reports(diagnosis=diagnosis, everything=all)

    def print_reports(self, *, diagnosis, everything):
        from django.contrib.auth.models import User

        from treatments.reports import table1_report, table2_report

        reader = User(is_superuser=True)
        if everything or diagnosis == "mmn":
            report = table1_report(user=reader)
            self.stdout.write("\nTable 1 (MMN)")
            for row in report["rows"]:
                self.stdout.write(
                    f"  {row['case']:<10} {row['series_count']:>3} series  "
                    f"first {row['first_response'] or '—':<13} N* {row['n_star'] or '—':<4} "
                    f"{row['final_result'] or '—':<42} anti-GM1 {row['gm1_titre_before_ivig']}"
                )
            for line in report["summary"]:
                self.stdout.write(f"  {line}")
        if everything or diagnosis == "igm_mgus_pn":
            report = table2_report(user=reader)
            self.stdout.write("\nTable 2 (IgM polyneuropathy)")
            for row in report["rows"]:
                self.stdout.write(
                    f"  {row['case']:<10} {row['group']:<19} Prineas "
                    f"{row['prineas_before']} → {row['prineas_after']}  {row['result'] or '—'}"
                )
            for line in report["summary"]:
                self.stdout.write(f"  {line}")
