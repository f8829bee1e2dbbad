"""List stored visits whose date disagrees with their kind (clinical-rules.md §1)."""

from django.core.management.base import BaseCommand, CommandError

from patients.models import Patient
from treatments.dates import registry_date_problems


class Command(BaseCommand):
    help = ("List the visits whose date disagrees with their kind (clinical-rules.md §1), "
            "one line each; nothing is changed or deleted. Exits 1 when there are any.")

    def add_arguments(self, parser):
        parser.add_argument("--patient", metavar="CODE", help="One patient, by registry code.")
        parser.add_argument("--centre", metavar="CODE", help="One centre's patients.")

    def handle(self, *args, patient=None, centre=None, **options):
        patients = None
        if patient or centre:
            chosen = Patient.objects.all()
            if patient:
                chosen = chosen.filter(code=patient)
            if centre:
                chosen = chosen.filter(center__code=centre)
            patients = list(chosen.values_list("pk", flat=True))
            if not patients:
                raise CommandError("No such patient or centre.")
        count = 0
        for _, code, problem in registry_date_problems(patient_ids=patients):
            visit = problem.visit
            series = f" (series {visit.series_number})" if visit.series_number else ""
            self.stdout.write(f"{code}\tvisit {visit.id}\t{visit.visited_on.isoformat()}\t"
                              f"{visit.kind}{series}\t{problem.message}")
            count += 1
        self.stderr.write(f"{count} visit(s) with a date at odds with their kind.")
