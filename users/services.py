"""User services (writes): default admin, sign-up, e-mail change, approval notices, profile."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from users import selectors
from users.mail import queue_account_mail
from users.models import EmailChangeRequest, PendingRegistration, Role, User
from users.tokens import link_lifetime, new_token


class AccountError(Exception):
    """A confirmation that cannot be completed; ``str(exc)`` is not shown to users."""


class InvalidLink(AccountError):
    """The link is unknown, already used, expired or belongs to someone else."""


class AccountConflict(AccountError):
    """The e-mail or username was taken by someone else before the confirmation."""


def ensure_admin(email: str, username: str, password: str) -> tuple[User, bool]:
    """Create or update the default superuser; idempotent. Returns (user, created)."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User(email=email)
    user.username = username
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    user.role = Role.ADMIN
    if password and not user.check_password(password):
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user, created


def register(*, username: str, email: str, password: str, base_url: str) -> None:
    """Start a sign-up. The answer and its cost are the same whoever asks: the password is
    hashed and exactly one e-mail is queued on every path — a confirmation link for a new
    account, or a notice to the address when it already has an account or the username is
    taken — so neither the page nor its timing tells which e-mails or usernames exist."""
    email = email.strip().lower()
    username = username.strip()
    hashed = make_password(password)
    PendingRegistration.objects.filter(created_at__lt=timezone.now() - link_lifetime()).delete()
    login_links = {
        "login_url": base_url + reverse("users:login"),
        "reset_url": base_url + reverse("users:password_reset"),
        "register_url": base_url + reverse("users:register"),
    }
    if selectors.email_taken(email):
        queue_account_mail("already_registered", [email], login_links)
        return
    if selectors.username_taken(username):
        queue_account_mail("username_taken", [email], {"username": username, **login_links})
        return
    token, digest = new_token()
    with transaction.atomic():
        pending = PendingRegistration.objects.create(
            username=username, email=email, password=hashed, token_hash=digest
        )
        link = base_url + reverse("users:activate", args=[token])
        queue_account_mail(
            "confirm_registration", [email], {"username": pending.username, "link": link}
        )


def activate(token: str, *, base_url: str) -> User:
    """Confirm a sign-up: the link's registration becomes an active guest user (once)."""
    pending = selectors.registration_for_token(token)
    if pending is None:
        raise InvalidLink("unknown, used or expired registration link")
    with transaction.atomic():
        if PendingRegistration.objects.filter(pk=pending.pk).delete()[0] != 1:
            raise InvalidLink("registration link used concurrently")
        if (
            selectors.email_taken(pending.email)
            or User.objects.filter(username__iexact=pending.username).exists()
        ):
            raise AccountConflict("e-mail or username taken meanwhile")
        try:
            with transaction.atomic():
                user = User.objects.create(
                    username=pending.username,
                    email=pending.email,
                    password=pending.password,
                    role=Role.GUEST,
                    is_active=True,
                )
        except IntegrityError as exc:
            raise AccountConflict("e-mail or username taken meanwhile") from exc
    transaction.on_commit(lambda: notify_approvers(user, base_url=base_url))
    return user


def request_email_change(user: User, new_email: str, *, base_url: str) -> None:
    """E-mail a confirmation link to the new address; the change happens when it is opened."""
    new_email = new_email.strip().lower()
    EmailChangeRequest.objects.filter(
        Q(user=user) | Q(created_at__lt=timezone.now() - link_lifetime())
    ).delete()
    if selectors.email_taken(new_email, exclude_user=user):
        queue_account_mail("email_in_use", [new_email], {"user": user})
        return
    token, digest = new_token()
    with transaction.atomic():
        EmailChangeRequest.objects.create(user=user, new_email=new_email, token_hash=digest)
        link = base_url + reverse("users:confirm_email_change", args=[token])
        queue_account_mail("confirm_email_change", [new_email], {"user": user, "link": link})


def confirm_email_change(user: User, token: str) -> User:
    """Apply the e-mail change the link confirms (only for the user who asked; once)."""
    change = selectors.email_change_for_token(token)
    if change is None or change.user_id != user.pk:
        raise InvalidLink("unknown, used, expired or foreign e-mail change link")
    old_email = user.email
    with transaction.atomic():
        if EmailChangeRequest.objects.filter(pk=change.pk).delete()[0] != 1:
            raise InvalidLink("e-mail change link used concurrently")
        if selectors.email_taken(change.new_email, exclude_user=user):
            raise AccountConflict("e-mail taken meanwhile")
        user.email = change.new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError as exc:
            user.email = old_email
            raise AccountConflict("e-mail taken meanwhile") from exc
        EmailChangeRequest.objects.filter(user=user).delete()
        queue_account_mail("email_changed", [old_email], {"user": user, "old_email": old_email})
    return user


def notify_approvers(user: User, *, base_url: str) -> None:
    """Tell the administrators that a new account waits for approval."""
    link = base_url + reverse("admin:users_user_change", args=[user.pk])
    recipients = list(selectors.approvers().values_list("email", flat=True))
    queue_account_mail("approval_needed", recipients, {"user": user, "link": link})


def notify_role_granted(user: User) -> None:
    """Tell a user their account was approved (their role changed from guest)."""
    queue_account_mail("role_granted", [user.email], {"user": user})


@transaction.atomic
def save_profile(profile_form, shift_formset) -> User:
    """Save the profile and the shift schedule together; drop a replaced avatar after commit."""
    user = profile_form.instance
    old_avatar = User.objects.filter(pk=user.pk).values_list("avatar", flat=True).first()
    user = profile_form.save()
    shift_formset.save()
    if old_avatar and old_avatar != user.avatar.name:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user
