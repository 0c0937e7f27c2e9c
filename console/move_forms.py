"""Forms of moving an e-mail and merging incidents (the incident is named by code or number)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.links import find_incident
from incidents.models import Incident

INCIDENT_HELP = _("Its code or number, e.g. DISPATCH-42")


def _incident(reference: str) -> Incident:
    found = find_incident(reference)
    if found is None:
        raise forms.ValidationError(_("No incident «%(ref)s».") % {"ref": reference[:64]})
    return found


class MoveEmailForm(forms.Form):
    """Where an e-mail goes: an incident named by code, or a new incident."""

    target = forms.CharField(
        label=_("To incident"), max_length=64, required=False, help_text=INCIDENT_HELP
    )
    new_incident = forms.BooleanField(label=_("to a new incident"), required=False)
    with_replies = forms.BooleanField(label=_("with the later replies to it"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        reference = (data.get("target") or "").strip()
        if data.get("new_incident") and reference:
            raise forms.ValidationError(
                _("Either name the incident or choose a new incident, not both.")
            )
        if data.get("new_incident"):
            data["target"] = None
        elif not reference:
            raise forms.ValidationError(_("Name the incident, or choose a new incident."))
        else:
            data["target"] = _incident(reference)
        return data


class MergeForm(forms.Form):
    """The incident this one is merged into."""

    target = forms.CharField(label=_("Merge into"), max_length=64, help_text=INCIDENT_HELP)

    def clean_target(self) -> Incident:
        return _incident(self.cleaned_data["target"])
