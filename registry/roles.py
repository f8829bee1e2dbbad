"""The three roles as Django groups and the model permissions each carries.

``Membership`` (user, centre, role) says *where* a user works and in which role; the
groups say *what* that role may do to each model, which is what the admin checks. A
user is in the group of every role they hold somewhere (``registry.services``).
The admin also needs ``is_staff``, which only data managers get.
"""

from __future__ import annotations

from django.apps import apps as global_apps

from registry.models import Role

CLINICAL_RECORDS = [
    "patients.titre", "patients.paraprotein", "patients.priortreatment", "patients.visit",
    "patients.mrcgrade", "patients.nervestudy", "patients.nervesegment",
    "patients.affectednerve", "patients.pinnedtargetmuscle",
    "treatments.lotnumber", "treatments.adverseevent", "treatments.tailoringepisode",
]
NEVER_DELETED = ["patients.patient", "patients.identity", "patients.consent",
                 "treatments.series"]
REFERENCE_DATA = ["treatments.ruleset", "treatments.diagnosisruleset",
                  "treatments.titrethreshold", "treatments.blockcriteriaset",
                  "treatments.nervereference"]
# Who exported and imported what: data managers read it in the admin, nobody edits it.
EXCHANGE_RECORDS = ["exchange.exportrecord", "exchange.importrecord"]
# Data-quality queries (§11): clinicians read and answer them, data managers also close.
QUERY_RECORDS = ["queries.query"]
PSEUDONYMOUS = [*CLINICAL_RECORDS, "patients.patient", "patients.consent",
                "treatments.series", "treatments.outcome"]


def _perms(models: list[str], actions: tuple[str, ...]) -> set[tuple[str, str]]:
    out = set()
    for label in models:
        app_label, model = label.split(".")
        out |= {(app_label, f"{action}_{model}") for action in actions}
    return out


WRITE = ("view", "add", "change")
CLINICIAN_PERMISSIONS = (
    _perms(CLINICAL_RECORDS, (*WRITE, "delete")) | _perms(NEVER_DELETED, WRITE)
    | _perms(["treatments.outcome"], ("view",)) | _perms(REFERENCE_DATA, ("view",))
    | _perms(QUERY_RECORDS, ("view",))
)
GROUP_PERMISSIONS: dict[str, set[tuple[str, str]]] = {
    Role.CLINICIAN: CLINICIAN_PERMISSIONS,
    Role.DATA_MANAGER: (
        CLINICIAN_PERMISSIONS | _perms(REFERENCE_DATA, WRITE)
        | _perms(["registry.center", "registry.membership"], ("view",))
        | _perms(EXCHANGE_RECORDS, ("view",)) | _perms(QUERY_RECORDS, WRITE)
    ),
    # Read-only, and never the identity model (name, date of birth, hospital number).
    Role.RESEARCHER: _perms(PSEUDONYMOUS, ("view",)) | _perms(REFERENCE_DATA, ("view",)),
}


def ensure_role_groups(apps=global_apps) -> None:
    """Create the role groups and set their permissions exactly (idempotent).

    Run by a migration (with its historical ``apps``) and again after a test flushes
    the database; permissions missing at that point are created first. A model that is
    not migrated yet (another app's migrations may run later) is skipped: that app's own
    migration runs this again once its tables exist.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        if app_config.label in {"patients", "treatments", "registry", "exchange", "queries"}:
            had_module = getattr(app_config, "models_module", None)
            app_config.models_module = had_module or True  # historical apps have none
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = had_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    migrated = {(m._meta.app_label, m._meta.model_name) for m in apps.get_models()}
    for role, permissions in GROUP_PERMISSIONS.items():
        wanted = {
            (app_label, codename) for app_label, codename in permissions
            if (app_label, codename.split("_", 1)[1]) in migrated
        }
        group, _ = Group.objects.get_or_create(name=role)
        codenames = {codename for _, codename in wanted}
        found = [
            p for p in Permission.objects.filter(codename__in=codenames)
            .select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
        if missing:
            raise LookupError(f"Permissions missing for the {role} group: {sorted(missing)}")
        group.permissions.set(found)
