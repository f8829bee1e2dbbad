import getpass
import os

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registry.models import Center, Role
from registry.services import membership_grant


class Command(BaseCommand):
    help = ("Give USERNAME a role in a centre (the centre is created if unknown); the user "
            "joins the role's group, and only data managers keep admin access.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--centre", "--center", dest="centre", required=True,
                            help="Centre code.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--create", action="store_true",
                            help="Create the user; password from REGISTRY_PASSWORD or a prompt.")

    @transaction.atomic
    def handle(self, *args, username, centre, role, create, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            if not create:
                raise CommandError(f"No user {username!r}; add --create to make one.")
            password = os.environ.get("REGISTRY_PASSWORD") or getpass.getpass("Password: ")
            if not password:
                raise CommandError("A password is needed (REGISTRY_PASSWORD or the prompt).")
            user = User.objects.create_user(username=username, password=password)
            self.stdout.write(f"Created user {username}.")
        center, made = Center.objects.get_or_create(code=centre, defaults={"name": centre})
        if made:
            self.stdout.write(f"Created centre {centre}.")
        membership_grant(user=user, center=center, role=role)
        self.stdout.write(f"{username} is {role} at {centre}.")
