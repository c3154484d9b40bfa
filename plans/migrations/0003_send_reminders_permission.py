"""Create plans.send_reminders and give it to the "HR admins" group.

As in 0002, the permission is created here because Django only creates permissions after
migrations run. An administrator can take it from the group in the admin.
"""

from django.db import migrations

GROUP_NAME = "HR admins"


def give_to_hr_admins(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="plans", model="plan")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="send_reminders",
        defaults={"name": "Can send reminders and managers' lists"},
    )
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(permission)


def take_from_hr_admins(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="plans", codename="send_reminders").delete()


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_hr_admins_group")]

    operations = [
        migrations.AlterModelOptions(
            name="plan",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_plans", "Can view conversation plans"),
                    ("send_reminders", "Can send reminders and managers' lists"),
                ],
            },
        ),
        migrations.RunPython(give_to_hr_admins, take_from_hr_admins),
    ]
