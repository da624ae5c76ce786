"""Give Wagtail's default "Editors" and "Moderators" groups the Builds permissions.

Both groups get ``view_buildrecord`` (the "Builds" menu item, the list and a
build's page) and ``add_buildrecord`` ("Rebuild now" and "Retry"). A site
that deleted or renamed a group is left as it is. Permissions are created
here if Django's ``post_migrate`` has not made them yet (a fresh database).
"""

from django.db import migrations

GROUPS = ["Editors", "Moderators"]
PERMISSIONS = {
    "view_buildrecord": "Can view build record",
    "add_buildrecord": "Can add build record",
}


def _permissions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="publishing", model="buildrecord")
    return [
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    ]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    permissions = _permissions(apps)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    permissions = _permissions(apps)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0001_initial"),
        ("wagtailcore", "0002_initial_data"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
