"""Users: dispatchers, admins and guests. Login is the e-mail address."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import FileExtensionValidator, MinLengthValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from users.names import display_name

USERNAME_VALIDATORS = [
    RegexValidator(
        r"^[a-zA-Z0-9._-]+$",
        _("Use only Latin letters, digits, dots, hyphens and underscores."),
    ),
    MinLengthValidator(4),
]


AVATAR_EXTENSIONS = ["jpg", "jpeg", "png"]


class Role(models.TextChoices):
    """What a user may do; dispatchers are eligible for incident assignment."""

    GUEST = "guest", _("Guest")
    USER = "user", _("User")
    DISPATCH = "dispatch", _("Dispatcher")
    ADMIN = "admin", _("Administrator")


class DispatchUserManager(UserManager):
    """Creates users keyed by e-mail; the username defaults to the e-mail's local part."""

    use_in_migrations = True

    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[override]
        if not email:
            raise ValueError("An e-mail address is required")
        email = self.normalize_email(email).lower()
        username = username or email.split("@", 1)[0]
        return super()._create_user(username, email, password, **extra_fields)

    def create_user(self, email=None, password=None, username=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, username=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.ADMIN)
        return self._create_user(username, email, password, **extra_fields)

    def dispatchers(self) -> models.QuerySet[User]:
        """Active users eligible for incident assignment."""
        return self.filter(is_active=True, role=Role.DISPATCH)


class User(AbstractUser):
    """A person using DISPATCH. ``username`` equals the Yandex Tracker login by default."""

    email = models.EmailField(_("e-mail"), unique=True)
    username = models.CharField(
        _("username"), max_length=150, unique=True, validators=USERNAME_VALIDATORS
    )
    tracker_login = models.CharField(
        _("tracker login"),
        max_length=150,
        blank=True,
        help_text=_("Yandex Tracker login; the username is used when empty."),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.GUEST)
    last_assigned_at = models.DateTimeField(
        _("last assigned at"), null=True, blank=True, help_text=_("Used to break ties fairly.")
    )
    avatar = models.ImageField(
        _("avatar"),
        upload_to="avatars/",
        blank=True,
        validators=[FileExtensionValidator(AVATAR_EXTENSIONS)],
    )
    browser_notifications = models.BooleanField(
        _("browser notifications"),
        default=False,
        help_text=_(
            "The incident queue shows a browser notification when new mail arrives "
            "(the browser asks for permission once)."
        ),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = DispatchUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_message=_(
                    "A user with this e-mail already exists (letter case does not matter)."
                ),
            ),
            models.UniqueConstraint(
                Lower("username"),
                name="users_user_username_ci_unique",
                violation_error_message=_(
                    "A user with this username already exists (letter case does not matter)."
                ),
            ),
        ]
        indexes = [models.Index(fields=["role", "is_active"], name="users_role_active_idx")]
        permissions = [
            ("use_console", _("Can use the DISPATCH console and API")),
            ("work_incidents", _("Can work on incidents (dispatcher)")),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """How this person is named everywhere: their name, else their login."""
        return display_name(self.first_name, self.last_name, self.username)

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember the stored role so a change (e.g. approval of a guest) can be detected."""
        instance = super().from_db(db, field_names, values)
        instance._stored_role = instance.__dict__.get("role")
        return instance

    @property
    def tracker_user(self) -> str:
        """The login this user has in the tracker."""
        return self.tracker_login or self.username

    @property
    def is_dispatcher(self) -> bool:
        return self.is_active and self.role == Role.DISPATCH


class WorkShift(models.Model):
    """One weekly working window of a dispatcher; a user without shifts is always on shift."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("user")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(
        _("end"), help_text=_("May be earlier than the start for a shift that crosses midnight.")
    )

    class Meta:
        verbose_name = _("work shift")
        verbose_name_plural = _("work shifts")
        ordering = ["user", "weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "weekday", "start_time"],
                name="users_shift_unique",
                violation_error_message=_(
                    "This dispatcher already has a shift starting at this time on this day."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(start_time=models.F("end_time")),
                name="users_shift_not_empty",
                violation_error_message=_("A shift cannot start and end at the same time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class PendingRegistration(models.Model):
    """A sign-up waiting for its e-mail confirmation; becomes a guest user when confirmed.

    Only a hash of the confirmation token is stored; the password is stored hashed.
    """

    username = models.CharField(_("username"), max_length=150, validators=USERNAME_VALIDATORS)
    email = models.EmailField(_("e-mail"))
    password = models.CharField(_("password"), max_length=128)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("pending registration")
        verbose_name_plural = _("pending registrations")
        indexes = [models.Index(Lower("username"), name="users_pending_username_ci")]

    def __str__(self) -> str:
        return f"{self.username} <{self.email}>"


class EmailChangeRequest(models.Model):
    """A requested new e-mail address waiting for confirmation from that address."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="email_changes", verbose_name=_("user")
    )
    new_email = models.EmailField(_("new e-mail"))
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("e-mail change request")
        verbose_name_plural = _("e-mail change requests")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.new_email}"
