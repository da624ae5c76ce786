"""Give Wagtail's default "Editors" and "Moderators" groups comment moderation.

Both groups get ``view_comment`` (the "Comments" menu item and list),
``change_comment`` (approve, reject, mark as spam, one at a time or in bulk)
and ``delete_comment``. Nobody gets ``add_comment``: comments arrive only
through the comments function. A site that deleted or renamed a group is left
as it is. Permissions are created here if Django's ``post_migrate`` has not
made them yet (a fresh database).
"""

from django.db import migrations

GROUPS = ["Editors", "Moderators"]
PERMISSIONS = {
    "view_comment": "Can view comment",
    "change_comment": "Can change comment",
    "delete_comment": "Can delete comment",
}


def _permissions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="comments", model="comment")
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
        ("comments", "0001_initial"),
        ("wagtailcore", "0002_initial_data"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
