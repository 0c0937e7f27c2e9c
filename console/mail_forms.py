"""The mail list's filters (GET); invalid values fall back to "any"."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from emails import selectors
from emails.models import EmailMessage


class MailFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Words of the subject or text (any form of the word), sender, incident code"),
    )
    folder = forms.TypedChoiceField(label=_("Folder"), required=False, coerce=int, empty_value=None)
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("Any")), *EmailMessage.Direction.choices],
    )
    automatic = forms.ChoiceField(
        label=_("Automatic mail"),
        required=False,
        choices=[
            ("", _("Any")),
            (selectors.HUMAN, _("Written by a person")),
            (selectors.AUTO, _("Automatic only (auto-replies, reports, lists)")),
        ],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["folder"].choices = [("", _("Any")), *selectors.folders()]

    def filters(self) -> selectors.MailFilters:
        if not self.is_valid():
            return selectors.MailFilters()
        data = self.cleaned_data
        return selectors.MailFilters(
            text=data["q"].strip(),
            folder=data["folder"],
            direction=data["direction"],
            automatic=data["automatic"],
        )
