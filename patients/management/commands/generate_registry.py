import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from patients.synthetic import generate_registry, synthetic_codes


class Command(BaseCommand):
    help = (
        "Load a synthetic registry for benchmarks (PostgreSQL): patients across several "
        "centres and every diagnosis, 1–24 monthly series each, visits with MRC grids, "
        "titres and nerve studies. The same seed gives the same data; outcomes are left "
        "stale (run `recompute --all`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--centres", type=int, default=5)
        parser.add_argument("--prefix", default="SYN", help="Patient code prefix (SYN-00001).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, patients, seed, centres, prefix, quiet, **options):
        if patients < 1 or centres < 1:
            raise CommandError("--patients and --centres must be at least 1.")
        if synthetic_codes(prefix).exists():
            raise CommandError(
                f"This database already has {prefix}- patients; use a fresh database "
                "or another --prefix."
            )
        started = time.perf_counter()
        with tqdm(total=patients, unit="patient", disable=quiet, file=self.stderr) as bar:
            counts = generate_registry(
                patients=patients, seed=seed, centers=centres, prefix=prefix,
                progress=bar.update,
            )
        seconds = time.perf_counter() - started
        rows = ", ".join(f"{name} {count}" for name, count in counts.rows.items())
        self.stdout.write(f"Generated {patients} patients in {seconds:.1f} s: {rows}.")
