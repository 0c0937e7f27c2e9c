"""Account forms. Error texts are Russian through the translation catalogue."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from users.mail import queue_account_mail
from users.models import USERNAME_VALIDATORS, User, WorkShift

AVATAR_MAX_BYTES = 2 * 1024 * 1024


class LoginForm(AuthenticationForm):
    """The login box takes the e-mail address or the username."""

    username = forms.CharField(
        label=_("E-mail or username"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("Wrong e-mail/username or password."),
        "inactive": _("This account is disabled."),
    }


class RegistrationForm(forms.Form):
    """Sign-up: the username must be the Yandex Tracker login."""

    username = forms.CharField(
        label=_("Username (Yandex Tracker login)"),
        max_length=150,
        validators=USERNAME_VALIDATORS,
        help_text=_("Latin letters, digits, dots, hyphens and underscores; at least 4."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        """Only the form of the name is checked here: whether it is taken is told by e-mail
        (``services.register``), never on the page."""
        return self.cleaned_data["username"].strip()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            probe = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class EmailChangeForm(forms.Form):
    """A new address, confirmed with the current password."""

    new_email = forms.EmailField(label=_("New e-mail"))
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_email(self) -> str:
        email = self.cleaned_data["new_email"].strip().lower()
        if email == self.user.email.lower():
            raise forms.ValidationError(_("This is already your e-mail address."))
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is wrong."))
        return password


class ProfileForm(forms.ModelForm):
    """Name, avatar, tracker login and browser notifications."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "avatar", "tracker_login", "browser_notifications"]

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if avatar and getattr(avatar, "size", 0) > AVATAR_MAX_BYTES:
            raise forms.ValidationError(_("The image must be at most 2 MB."))
        return avatar

    def clean_tracker_login(self) -> str:
        login = self.cleaned_data["tracker_login"].strip()
        if login and (
            User.objects.exclude(pk=self.instance.pk).filter(tracker_login__iexact=login).exists()
            or User.objects.exclude(pk=self.instance.pk).filter(username__iexact=login).exists()
        ):
            raise forms.ValidationError(_("Another user already has this tracker login."))
        return login


class ShiftForm(forms.ModelForm):
    class Meta:
        model = WorkShift
        fields = ["weekday", "start_time", "end_time"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start_time") and data.get("start_time") == data.get("end_time"):
            raise forms.ValidationError(_("A shift must not start and end at the same time."))
        return data


class BaseShiftFormSet(BaseInlineFormSet):
    """The whole weekly schedule of one user: no two shifts start on the same day and time
    (also against stored shifts the posted forms do not mention)."""

    def validate_unique(self) -> None:
        """Replaced by ``clean`` below (a readable message, stored rows included)."""

    def clean(self) -> None:
        super().clean()
        posted = {form.instance.pk for form in self.initial_forms if form.instance.pk}
        seen = set(
            self.instance.shifts.exclude(pk__in=posted).values_list("weekday", "start_time")
            if self.instance.pk
            else []
        )
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            key = (form.cleaned_data.get("weekday"), form.cleaned_data.get("start_time"))
            if None in key:
                continue
            if key in seen:
                raise forms.ValidationError(
                    _("Two shifts start on the same weekday at the same time.")
                )
            seen.add(key)


ShiftFormSet = inlineformset_factory(
    User,
    WorkShift,
    form=ShiftForm,
    formset=BaseShiftFormSet,
    extra=1,
    can_delete=True,
    max_num=28,
    validate_max=True,
)


class ResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail (Russian, stating how long the link is valid) is
    queued in the outbox: sending it inside the request would tell by its duration which
    addresses have accounts."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        queue_account_mail("password_reset", [to_email], context)
