"""Create the clock row, so the first transactions never race to create it."""

import uuid

from django.db import migrations


def create_clock(apps, schema_editor):
    SyncClock = apps.get_model("sync", "SyncClock")
    SyncClock.objects.get_or_create(pk=1, defaults={"epoch": uuid.uuid4().hex})


class Migration(migrations.Migration):
    dependencies = [("sync", "0001_initial")]
    operations = [migrations.RunPython(create_clock, migrations.RunPython.noop)]
