"""Profile: name, avatar, tracker login and the weekly shift schedule used by assignment."""

from __future__ import annotations

import io
from datetime import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from users.models import Role, WorkShift
from users.tests.conftest import make_user

pytestmark = pytest.mark.django_db

PROFILE = reverse("users:profile")


def png(name="me.png", size=(32, 32), fmt="PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 90, 170)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def form(**overrides) -> dict:
    data = {
        "first_name": "Пётр",
        "last_name": "Петров",
        "tracker_login": "p.petrov",
        "shifts-TOTAL_FORMS": "1",
        "shifts-INITIAL_FORMS": "0",
        "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "28",
        "shifts-0-weekday": "0",
        "shifts-0-start_time": "20:00",
        "shifts-0-end_time": "08:00",
    }
    data.update(overrides)
    return data


@pytest.fixture
def dispatcher_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = make_user("petrov@example.com", "petrov.p", role=Role.DISPATCH)
    client.force_login(user)
    client.user = user
    return client


def test_profile_saves_name_tracker_login_and_a_night_shift(dispatcher_client):
    response = dispatcher_client.post(PROFILE, form())
    assert response.status_code == 302
    user = dispatcher_client.user
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.tracker_user) == ("Пётр", "Петров", "p.petrov")
    shift = WorkShift.objects.get(user=user)
    assert (shift.weekday, shift.start_time, shift.end_time) == (0, time(20), time(8))
    page = dispatcher_client.get(PROFILE).content.decode()
    assert "Профиль сохранён" in page
    assert "График смен" in page


def test_shift_can_be_removed(dispatcher_client):
    shift = WorkShift.objects.create(
        user=dispatcher_client.user, weekday=2, start_time=time(9), end_time=time(18)
    )
    data = form(
        **{
            "shifts-TOTAL_FORMS": "1",
            "shifts-INITIAL_FORMS": "1",
            "shifts-0-id": str(shift.pk),
            "shifts-0-user": str(dispatcher_client.user.pk),
            "shifts-0-weekday": "2",
            "shifts-0-start_time": "09:00",
            "shifts-0-end_time": "18:00",
            "shifts-0-DELETE": "on",
        }
    )
    assert dispatcher_client.post(PROFILE, data).status_code == 302
    assert not WorkShift.objects.exists()


def test_empty_shift_is_explained(dispatcher_client):
    data = form(**{"shifts-0-start_time": "09:00", "shifts-0-end_time": "09:00"})
    response = dispatcher_client.post(PROFILE, data)
    assert response.status_code == 200
    assert "Смена не может начинаться и заканчиваться в одно время" in response.content.decode()
    assert not WorkShift.objects.exists()


def test_second_shift_at_the_same_start_is_explained(dispatcher_client):
    WorkShift.objects.create(
        user=dispatcher_client.user, weekday=0, start_time=time(20), end_time=time(8)
    )
    shift = WorkShift.objects.get()
    data = form(
        **{
            "shifts-TOTAL_FORMS": "2",
            "shifts-INITIAL_FORMS": "1",
            "shifts-0-id": str(shift.pk),
            "shifts-0-user": str(dispatcher_client.user.pk),
            "shifts-1-weekday": "0",
            "shifts-1-start_time": "20:00",
            "shifts-1-end_time": "23:00",
        }
    )
    response = dispatcher_client.post(PROFILE, data)
    assert response.status_code == 200
    assert "Две смены начинаются в один день в одно время" in response.content.decode()
    assert WorkShift.objects.count() == 1
    # A post that leaves the stored shift out of the forms is refused the same way (no 500).
    response = dispatcher_client.post(PROFILE, form())
    assert "Две смены начинаются в один день в одно время" in response.content.decode()
    assert WorkShift.objects.count() == 1


def test_tracker_login_of_someone_else_is_refused(dispatcher_client):
    make_user("other@example.com", "other.user", tracker_login="p.petrov")
    response = dispatcher_client.post(PROFILE, form())
    assert "Этот логин трекера уже у другого пользователя" in response.content.decode()


def test_avatar_upload_and_replacement_removes_the_old_file(
    dispatcher_client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dispatcher_client.post(PROFILE, form(avatar=png("first.png")))
    user = dispatcher_client.user
    user.refresh_from_db()
    first = Path(settings.MEDIA_ROOT) / user.avatar.name
    assert first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        dispatcher_client.post(
            PROFILE, form(avatar=png("second.png"), **{"shifts-TOTAL_FORMS": "0"})
        )
    user.refresh_from_db()
    assert (Path(settings.MEDIA_ROOT) / user.avatar.name).exists()
    assert not first.exists()
    served = dispatcher_client.get(reverse("users:avatar", args=[user.pk]))
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert (
        reverse("users:avatar", args=[user.pk]) in dispatcher_client.get(PROFILE).content.decode()
    )
    dispatcher_client.logout()
    assert dispatcher_client.get(reverse("users:avatar", args=[user.pk])).status_code == 302


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (lambda: png("me.gif", fmt="GIF"), "Расширение файлов"),
        (lambda: SimpleUploadedFile("me.png", b"not an image"), "Загрузите правильное изображение"),
    ],
)
def test_bad_avatar_is_refused(dispatcher_client, upload, error):
    response = dispatcher_client.post(PROFILE, form(avatar=upload()))
    assert response.status_code == 200
    assert error in response.content.decode()
    dispatcher_client.user.refresh_from_db()
    assert not dispatcher_client.user.avatar


def test_profile_page_queries_do_not_grow_with_shifts(dispatcher_client):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert dispatcher_client.get(PROFILE).status_code == 200
        return len(ctx.captured_queries)

    WorkShift.objects.create(
        user=dispatcher_client.user, weekday=0, start_time=time(9), end_time=time(18)
    )
    one = count()
    for day in range(1, 7):
        WorkShift.objects.create(
            user=dispatcher_client.user, weekday=day, start_time=time(9), end_time=time(18)
        )
    assert count() == one <= 6


def _with_avatar(email: str, username: str, role: str, **extra):
    user = make_user(email, username, role=role, **extra)
    user.avatar.save("face.png", png(), save=True)
    return user


@pytest.mark.parametrize(
    ("viewer_role", "owner_role", "owner_active", "status"),
    [
        (Role.USER, Role.DISPATCH, True, 200),
        (Role.DISPATCH, Role.ADMIN, True, 200),
        (Role.GUEST, Role.DISPATCH, True, 404),  # an unapproved sign-up sees no staff faces
        (Role.DISPATCH, Role.GUEST, True, 404),  # nor does it show its own to staff
        (Role.DISPATCH, Role.DISPATCH, False, 404),  # a deactivated account shows nothing
    ],
)
def test_avatars_are_shared_only_between_approved_accounts(
    client, settings, tmp_path, viewer_role, owner_role, owner_active, status
):
    settings.MEDIA_ROOT = tmp_path
    owner = _with_avatar("owner@example.com", "owner.o", owner_role, is_active=owner_active)
    viewer = make_user("viewer@example.com", "viewer.v", role=viewer_role)
    client.force_login(viewer)
    assert client.get(reverse("users:avatar", args=[owner.pk])).status_code == status
    missing = client.get(reverse("users:avatar", args=[owner.pk + 1000])).status_code
    assert missing == 404


def test_a_guest_still_sees_its_own_avatar(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    guest = _with_avatar("guest@example.com", "guest.g", Role.GUEST)
    client.force_login(guest)
    assert client.get(reverse("users:avatar", args=[guest.pk])).status_code == 200
