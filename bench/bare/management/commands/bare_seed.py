import random

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from bench.bare.models import Item

DIAGNOSES = ("mmn", "igm_mgus_pn", "igg_mgus_pn", "cidp", "other")


class Command(BaseCommand):
    help = "Fill the bare table with ROWS rows and print an API token (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, rows, seed, **options):
        rng = random.Random(seed)
        if not Item.objects.exists():
            Item.objects.bulk_create(
                [
                    Item(code=f"SYN-{n:05d}", center=n % 5 + 1, sex=rng.choice("MF"),
                         birth_year=rng.randint(1935, 1985), diagnosis=DIAGNOSES[n % 5],
                         onset_year=rng.randint(1990, 2015),
                         neuropathy_pattern=rng.choice((None, "axonal", "mixed")))
                    for n in range(1, rows + 1)
                ],
                batch_size=2000,
            )
        user, _ = User.objects.get_or_create(username="bench")
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
