"""The ignore list's defaults: the delivery-report and DMARC robots that emails/loops.py matched
with a hard-coded regular expression until the list became data."""

from django.db import migrations

DEFAULTS = (
    ("mailer-daemon@*", "Отчёты о доставке (MAILER-DAEMON)"),
    ("mail-daemon@*", "Отчёты о доставке (MAIL-DAEMON)"),
    ("postmaster@*", "Почтовый администратор: отчёты о доставке"),
    ("noreply-dmarc@*", "Отчёты DMARC"),
)


def add_defaults(apps, schema_editor):
    IgnoredSender = apps.get_model("emails", "IgnoredSender")
    for pattern, reason in DEFAULTS:
        IgnoredSender.objects.get_or_create(
            kind="glob", pattern=pattern, defaults={"reason": reason}
        )


def remove_defaults(apps, schema_editor):
    IgnoredSender = apps.get_model("emails", "IgnoredSender")
    IgnoredSender.objects.filter(kind="glob", pattern__in=[p for p, _r in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("emails", "0004_ignored_sender")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
