"""The shipped mail templates (incidents.mail_defaults): created once, never overwritten."""

from django.db import migrations


def create(apps, schema_editor):
    from incidents.mail_defaults import SHIPPED

    MailTemplate = apps.get_model("outbox", "MailTemplate")
    for shipped in SHIPPED:
        MailTemplate.objects.get_or_create(
            key=shipped.key,
            defaults={
                "name": shipped.name,
                "audience": shipped.audience,
                "subject": shipped.subject,
                "body": shipped.body,
            },
        )


def remove(apps, schema_editor):
    from incidents.mail_defaults import SHIPPED

    MailTemplate = apps.get_model("outbox", "MailTemplate")
    MailTemplate.objects.filter(key__in=[shipped.key for shipped in SHIPPED]).delete()


class Migration(migrations.Migration):
    dependencies = [("outbox", "0006_mail_templates")]

    operations = [migrations.RunPython(create, remove)]
