from django.db import migrations


def create_role_groups(apps, schema_editor):
    from registry.roles import ensure_role_groups

    ensure_role_groups(apps)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["clinician", "data_manager", "researcher"]
    ).delete()


class Migration(migrations.Migration):
    """The roles as Django groups with their model permissions (registry.roles)."""

    dependencies = [
        ("registry", "0002_membership_history"),
        ("patients", "0003_history_source"),
        ("treatments", "0003_history_source"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
