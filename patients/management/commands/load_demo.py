import os

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from patients.demo.course import load_course_demo
from patients.demo.load import load_demo
from registry.models import Membership, Role
from registry.services import membership_grant


class Command(BaseCommand):
    help = ("Load the source paper's 23 patients, the treatment-course demo's two CIDP "
            "patients (idempotent) and a demo login.")

    def add_arguments(self, parser):
        parser.add_argument("--user", default="demo", help="Demo login to create (default: demo).")
        parser.add_argument("--no-user", action="store_true", help="Do not create a demo login.")

    def handle(self, *args, user: str, no_user: bool, **options):
        center, created = load_demo()
        created += load_course_demo(center)
        self.stdout.write(f"Demo centre {center.code}: {len(created)} patients loaded.")
        if no_user:
            return
        password = os.environ.get("DEMO_PASSWORD", "demo-registry")
        account, made = User.objects.get_or_create(username=user)
        if made:
            account.set_password(password)
            account.is_staff = True
            # The demo login may do everything a data manager does, including the admin.
            account.is_superuser = True
            account.save()
            self.stdout.write(f"Demo login: {user} / {password}")
        if not Membership.objects.filter(user=account, center=center).exists():
            membership_grant(user=account, center=center, role=Role.DATA_MANAGER)
