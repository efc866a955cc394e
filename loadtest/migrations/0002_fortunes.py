"""The twelve fortunes of TechEmpower's benchmark, verbatim (ids 1 to 12).

Written out here rather than imported so the migration keeps meaning what it
meant when it ran. The <script> row proves the template escapes.
"""

from django.db import migrations

FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]


def forward(apps, schema_editor):
    Fortune = apps.get_model("loadtest", "Fortune")
    Fortune.objects.bulk_create(
        Fortune(id=number, message=message) for number, message in enumerate(FORTUNES, start=1)
    )


def backward(apps, schema_editor):
    apps.get_model("loadtest", "Fortune").objects.filter(id__lte=len(FORTUNES)).delete()


class Migration(migrations.Migration):
    dependencies = [("loadtest", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
