"""The «New e-mail» form: recipients, subject and text as the dispatcher edits them, attachments
of the thread to forward; validated by ``incidents.compose.build_letter``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents import compose
from incidents.models import Incident


class ComposeForm(forms.Form):
    template = forms.SlugField(required=False, widget=forms.HiddenInput, max_length=64)
    token = forms.RegexField(
        regex=compose.TOKEN, required=False, widget=forms.HiddenInput, max_length=32
    )
    to = forms.CharField(label=pgettext_lazy("e-mail recipient", "To"), max_length=2000)
    cc = forms.CharField(
        label=pgettext_lazy("e-mail recipient", "Cc"), required=False, max_length=2000
    )
    subject = forms.CharField(label=_("Subject"), max_length=compose.MAX_SUBJECT)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=compose.MAX_BODY,
        strip=False,
    )
    attachments = forms.TypedMultipleChoiceField(
        label=_("Forward attachments of the thread"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, incident: Incident, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.letter: compose.Letter | None = None
        self.fields["to"].help_text = _(
            "Addresses separated by commas. Our mailbox gets a copy by itself."
        )
        self.fields["cc"].help_text = _("At most %(limit)s recipients in To and Cc together.") % {
            "limit": settings.MAIL_MAX_RECIPIENTS
        }
        self.fields["attachments"].choices = [
            (a.pk, f"{a.offered_name} ({filesizeformat(a.size)})")
            for a in compose.forwardable_attachments(incident)
        ]
        self.fields["attachments"].help_text = _("At most %(limit)s in all.") % {
            "limit": filesizeformat(settings.MAIL_FORWARD_MAX_BYTES)
        }

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.letter = compose.build_letter(
                self.incident,
                to=data["to"],
                cc=data["cc"],
                subject=data["subject"],
                body=data["body"],
                attachment_ids=data["attachments"],
            )
        except compose.ComposeError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, str(exc))
        return data
