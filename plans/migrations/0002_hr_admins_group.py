"""Create the "HR admins" group holding plans.view_plans.

Django creates permissions after migrations run (post_migrate), so this migration
creates the permission itself when it does not exist yet.
"""

from django.db import migrations

GROUP_NAME = "HR admins"


def create_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="plans", model="plan")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="view_plans",
        defaults={"name": "Can view conversation plans"},
    )
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
