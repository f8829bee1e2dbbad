from django.core.management.base import BaseCommand

from patients.selectors import visit_repeats


class Command(BaseCommand):
    help = ("List the visits that share their patient, date and kind with another (what "
            "stops migration patients 0004); nothing is changed.")

    def handle(self, *args, **options):
        visits = visit_repeats()
        if not visits:
            self.stdout.write("No two visits share a patient, date and kind.")
            return
        self.stdout.write("patient\tvisited_on\tkind\tvisit id\tseries\tMRC grades\texaminer"
                          "\tupdated_at")
        for visit in visits:
            series = visit.series.number if visit.series else ""
            self.stdout.write(
                f"{visit.patient.code}\t{visit.visited_on}\t{visit.kind}\t{visit.pk}\t{series}"
                f"\t{visit.grades}\t{visit.examiner}\t{visit.updated_at:%Y-%m-%d %H:%M}")
        keys = {(v.patient_id, v.visited_on, v.kind) for v in visits}
        self.stdout.write(
            f"{len(visits)} visits share {len(keys)} (patient, date, kind). Correct them in "
            "the admin (Visits, search by patient code): keep one visit per date and kind — "
            "move the grades to it and delete the other, or correct its date or kind — then "
            "run migrate.")
