"""Folders are named by their decoded Unicode name (emails/folders.py): a row stored under the
modified UTF-7 form (``&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-``) is renamed «Отправленные», so its
UID cursor is kept instead of starting a second row for the same folder."""

from django.db import migrations

from emails.folders import decode_folder_name


def decode_names(apps, schema_editor):
    MailFolder = apps.get_model("emails", "MailFolder")
    for folder in MailFolder.objects.filter(name__contains="&"):
        decoded = decode_folder_name(folder.name)
        taken = MailFolder.objects.filter(mailbox=folder.mailbox, name=decoded).exists()
        if decoded != folder.name and not taken:
            MailFolder.objects.filter(pk=folder.pk).update(name=decoded)


class Migration(migrations.Migration):
    dependencies = [("emails", "0005_default_ignored_senders")]

    operations = [migrations.RunPython(decode_names, migrations.RunPython.noop)]
