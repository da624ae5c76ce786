from django.db import migrations, models


class Migration(migrations.Migration):
    """Build records keep the build's report (jamtail.report.BuildReport) and its kind;
    ``pages_rendered`` is named for what it counts, the pages rebuilt."""

    dependencies = [("publishing", "0002_editors_and_moderators_see_builds")]

    operations = [
        migrations.RenameField("buildrecord", "pages_rendered", "pages_rebuilt"),
        migrations.AlterField(
            model_name="buildrecord",
            name="files_uploaded",
            field=models.PositiveIntegerField(
                blank=True, help_text="by the deploy (none when not deployed)", null=True
            ),
        ),
        migrations.AlterField(
            model_name="buildrecord",
            name="bytes",
            field=models.BigIntegerField(blank=True, help_text="of the built site", null=True),
        ),
        migrations.AlterField(
            model_name="buildrecord",
            name="trigger",
            field=models.CharField(
                help_text="publish, unpublish, manual, retry, ...", max_length=50
            ),
        ),
        migrations.AddField(
            model_name="buildrecord",
            name="kind",
            field=models.CharField(
                blank=True, help_text="full, incremental or patch", max_length=12
            ),
        ),
        migrations.AddField(
            model_name="buildrecord",
            name="report",
            field=models.JSONField(
                blank=True,
                help_text="the build's report (jamtail.report.BuildReport JSON)",
                null=True,
            ),
        ),
    ]
