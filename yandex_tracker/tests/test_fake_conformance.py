"""The official ``yandex-tracker-client`` (2.10) works against the fake tracker as against the
real API: what it sends (null search keys, ``If-Match``, ``unique``, the ``X-Org-Id`` header)
is accepted, what it reads (``/v2/fields`` with the system fields, ``self`` links, cursors)
is served, and what the docs refuse is refused."""

from __future__ import annotations

import pytest
from yandex_tracker_client import TrackerClient as OfficialClient
from yandex_tracker_client import exceptions

from yandex_tracker.fake import FakeTrackerServer


@pytest.fixture
def official(fake_tracker) -> OfficialClient:
    return OfficialClient(
        token="robot-token", org_id="fake-org", base_url=fake_tracker.url, retries=0
    )


@pytest.fixture
def issue(official):
    return official.issues.create(queue="DISP", summary="Авария на опоре", poleNumber="77-1")


def test_create_read_update_and_recover_by_unique(official, fake_tracker):
    made = official.issues.create(queue="DISP", summary="Авария", localId=5, unique="inc-5")
    assert made.key == "DISP-1" and made.localId == 5
    assert made.assignee is None and made.followers == []  # system fields known from /v2/fields
    again = official.issues.create(queue="DISP", summary="Другая", unique="inc-5")
    assert again.key == "DISP-1" and len(fake_tracker.state.issues) == 1  # 409 → _findByUnique
    stale = official.issues["DISP-1"]
    made.update(summary="Авария на опоре")  # PATCH with If-Match: "1"
    assert official.issues["DISP-1"].summary == "Авария на опоре"
    with pytest.raises(exceptions.PreconditionFailed):
        stale.update(summary="Старое")  # still holds version 1


def test_find_sends_null_keys_and_unknown_filter_fields_are_refused(official, issue):
    found = list(official.issues.find(filter={"queue": "DISP", "poleNumber": "77-1"}))
    assert [i.key for i in found] == [issue.key]
    assert [i.key for i in official.issues.find(keys=[issue.key])] == [issue.key]
    ordered = official.issues.find(filter={"queue": "DISP"}, order=["-updatedAt"])
    assert [i.key for i in ordered] == [issue.key]
    with pytest.raises(exceptions.BadRequest):
        list(official.issues.find(filter={"queue": "DISP", "noSuchField": "x"}))


def test_fields_list_the_system_fields_with_their_schema(official):
    fields = {f.id: f for f in official.fields.get_all()}
    assert {"summary", "status", "assignee", "createdAt", "followers"} <= set(fields)
    assert fields["followers"].schema["type"] == "array"
    assert fields["poleNumber"].schema["type"] == "string"
    assert official.fields["status"].schema["type"] == "status"


def test_comments_transitions_changelog_and_attachments(official, issue, fake_tracker, tmp_path):
    version = fake_tracker.state.issues[issue.key]["version"]
    issue.comments.create(text="Первый")
    assert fake_tracker.state.issues[issue.key]["version"] == version + 1  # a comment is a change
    assert [c.text for c in issue.comments.get_all()] == ["Первый"]
    with pytest.raises(exceptions.UnprocessableEntity):  # an e-mail comment needs text too
        issue.comments.create(
            email={"subject": "Re", "text": "x", "info": {"from": "a@x.ru", "to": ["b@x.ru"]}}
        )
    issue.transitions["t_inProgress"].execute(comment="Беру")
    assert official.issues[issue.key].status.key == "inProgress"
    workflow = list(issue.changelog.get_all(type="IssueWorkflow"))
    [change] = [e.fields[0] for e in workflow]
    assert (change["from"].key, change["to"].key) == ("open", "inProgress")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 jpeg")
    official.issues[issue.key].comments.create(text="Фото", attachments=[str(photo)])
    assert [a.name for a in official.issues[issue.key].attachments] == ["photo.jpg"]


def test_page_size_above_the_maximum_is_refused(official, issue):
    with pytest.raises(exceptions.BadRequest):
        list(official.issues.find(filter={"queue": "DISP"}, per_page=1001))
    assert len(list(official.issues.find(filter={"queue": "DISP"}, per_page=1000))) == 1


def test_org_id_counts_only_in_the_header_of_the_orgs_kind(fake_tracker):
    wrong_header = OfficialClient(
        token="robot-token", cloud_org_id="fake-org", base_url=fake_tracker.url, retries=0
    )
    with pytest.raises(exceptions.Forbidden):
        wrong_header.myself  # noqa: B018 - the 360 org's id sent as a Cloud org id
    with FakeTrackerServer(queue="DISP", cloud_org=True) as cloud:
        as_cloud = OfficialClient(
            token="robot-token", cloud_org_id="fake-org", base_url=cloud.url, retries=0
        )
        assert as_cloud.myself.login == "robot-dispatch"
        as_360 = OfficialClient(
            token="robot-token", org_id="fake-org", base_url=cloud.url, retries=0
        )
        with pytest.raises(exceptions.Forbidden):
            as_360.myself  # noqa: B018
