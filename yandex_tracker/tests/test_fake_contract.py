"""The fake tracker answers like the real API (docs/tracker.md): codes, headers, pagination, ids."""

from __future__ import annotations

import re

import pytest
import requests

AUTH = {"Authorization": "OAuth robot-token", "X-Org-Id": "fake-org"}


def call(fake, method, path, **kwargs):
    headers = {**AUTH, **kwargs.pop("headers", {})}
    return requests.request(method, f"{fake.url}{path}", headers=headers, timeout=5, **kwargs)


def test_auth_missing_unknown_expired_token_and_wrong_org(fake_tracker):
    assert requests.get(f"{fake_tracker.url}/v2/myself", timeout=5).status_code == 401
    assert (
        call(fake_tracker, "GET", "/v2/myself", headers={"Authorization": "OAuth nope"}).status_code
        == 401
    )
    assert call(fake_tracker, "GET", "/v2/myself", headers={"X-Org-Id": "other"}).status_code == 403
    me = call(fake_tracker, "GET", "/v2/myself", headers={"x-org-id": "fake-org"})
    assert me.status_code == 200 and isinstance(me.json()["uid"], int)
    fake_tracker.state.expire_token("robot-token")
    expired = call(fake_tracker, "GET", "/v2/myself")
    assert expired.status_code == 401
    assert expired.headers["Content-Type"].startswith("application/json")
    assert expired.json()["statusCode"] == 401 and expired.json()["errorMessages"]


def test_oauth_refresh_rotates_tokens_and_rejects_a_bad_grant(fake_tracker):
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "robot-refresh",
        "client_id": "client-id",
        "client_secret": "client-secret",
    }
    ok = requests.post(fake_tracker.oauth_url, data=form, timeout=5)
    assert ok.status_code == 200
    body = ok.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert (
        call(
            fake_tracker,
            "GET",
            "/v2/myself",
            headers={"Authorization": f"OAuth {body['access_token']}"},
        ).status_code
        == 200
    )
    reused = requests.post(fake_tracker.oauth_url, data=form, timeout=5)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_create_is_201_with_v2_and_v3_self_urls_and_trailing_slash(fake_tracker):
    created = call(fake_tracker, "POST", "/v2/issues/", json={"queue": "DISP", "summary": "A"})
    assert created.status_code == 201
    issue = created.json()
    assert re.fullmatch(r"[0-9a-f]{24}", issue["id"]) and issue["key"] == "DISP-1"
    assert issue["self"] == f"{fake_tracker.url}/v2/issues/DISP-1"
    assert issue["status"] == {
        "self": f"{fake_tracker.url}/v2/statuses/1",
        "id": "1",
        "key": "open",
        "display": "Открыт",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", issue["createdAt"])
    assert "description" not in issue and "transitions" not in issue
    v3 = call(fake_tracker, "GET", "/v3/issues/DISP-1")
    assert v3.status_code == 200 and v3.json()["self"].endswith("/v3/issues/DISP-1")
    assert call(fake_tracker, "GET", "/v2/issues/DISP-1/").status_code == 200
    assert call(fake_tracker, "GET", "/v2/issues/DISP-404").status_code == 404


def test_unique_gives_409_and_creates_nothing(fake_tracker):
    first = call(
        fake_tracker, "POST", "/v2/issues", json={"queue": "DISP", "summary": "A", "unique": "u-1"}
    )
    again = call(
        fake_tracker, "POST", "/v2/issues", json={"queue": "DISP", "summary": "B", "unique": "u-1"}
    )
    assert (first.status_code, again.status_code) == (201, 409)
    assert len(fake_tracker.state.issues) == 1
    found = call(fake_tracker, "POST", "/v2/issues/_findByUnique", params={"unique": "u-1"})
    assert found.status_code == 200 and found.json()["key"] == first.json()["key"]


def test_custom_fields_are_typed_normalised_and_absent_when_empty(fake_tracker):
    local_id = call(fake_tracker, "GET", "/v3/queues/DISP/localFields").json()[0]["id"]
    assert re.fullmatch(r"[0-9a-f]{24}--typeOfProblem", local_id)
    issue = call(
        fake_tracker,
        "POST",
        "/v2/issues/",
        json={
            "queue": "DISP",
            "summary": "A",
            "localId": "17",
            "emailDatetime": "2026-01-02T10:00:00.123456+03:00",
            local_id: "Авария",
        },
    ).json()
    assert issue["localId"] == 17
    assert issue["emailDatetime"] == "2026-01-02T07:00:00.123+0000"
    assert issue[local_id] == "Авария"
    cleared = call(fake_tracker, "PATCH", f"/v2/issues/{issue['key']}", json={"localId": None})
    assert cleared.status_code == 200 and "localId" not in cleared.json()
    bad = call(fake_tracker, "PATCH", f"/v2/issues/{issue['key']}", json={"noSuchField": 1})
    assert bad.status_code == 422 and bad.json()["errorMessages"]


def test_patch_versions_and_status_only_through_transitions(fake_tracker):
    issue = call(fake_tracker, "POST", "/v2/issues/", json={"queue": "DISP", "summary": "A"}).json()
    path = f"/v2/issues/{issue['key']}"
    ok = call(fake_tracker, "PATCH", path, params={"version": 1}, json={"summary": "B"})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert ok.json()["updatedAt"] >= issue["updatedAt"]
    assert (
        call(fake_tracker, "PATCH", path, params={"version": 1}, json={"summary": "C"}).status_code
        == 409
    )
    assert (
        call(
            fake_tracker, "PATCH", path, headers={"If-Match": '"1"'}, json={"summary": "C"}
        ).status_code
        == 412
    )
    assert call(fake_tracker, "PATCH", path, json={"status": "closed"}).status_code == 422


def test_transitions_from_current_status_and_execute_returns_transitions(fake_tracker):
    key = call(fake_tracker, "POST", "/v2/issues/", json={"queue": "DISP", "summary": "A"}).json()[
        "key"
    ]
    transitions = call(fake_tracker, "GET", f"/v3/issues/{key}/transitions").json()
    to_keys = {t["to"]["key"] for t in transitions}
    assert "inProgress" in to_keys and "closed" not in to_keys
    start = next(t for t in transitions if t["to"]["key"] == "inProgress")
    done = call(
        fake_tracker,
        "POST",
        f"/v3/issues/{key}/transitions/{start['id']}/_execute",
        json={"comment": "Взяли"},
    )
    assert done.status_code == 200 and isinstance(done.json(), list)
    assert "closed" in {t["to"]["key"] for t in done.json()}
    issue = call(fake_tracker, "GET", f"/v2/issues/{key}", params={"expand": "transitions"}).json()
    assert issue["status"]["key"] == "inProgress" and issue["previousStatus"]["key"] == "open"
    assert issue["version"] == 2 and issue["transitions"]
    assert (
        call(fake_tracker, "POST", f"/v3/issues/{key}/transitions/t_open/_execute").status_code
        == 422
    )


def test_search_pages_with_headers_and_past_the_end(fake_tracker):
    fake_tracker.state.bulk_issues("DISP", 120)
    body = {"filter": {"queue": "DISP"}}
    first = call(fake_tracker, "POST", "/v2/issues/_search", json=body)
    assert len(first.json()) == 50
    assert first.headers["X-Total-Count"] == "120" and first.headers["X-Total-Pages"] == "3"
    assert 'rel="next"' in first.headers["Link"]
    last = call(fake_tracker, "POST", "/v2/issues/_search", params={"page": 3}, json=body)
    assert len(last.json()) == 20 and 'rel="next"' not in last.headers["Link"]
    past = call(fake_tracker, "POST", "/v2/issues/_search", params={"page": 9}, json=body)
    assert past.status_code == 200 and past.json() == []
    mixed = call(fake_tracker, "POST", "/v2/issues/_search", json={"queue": "DISP", "filter": {}})
    assert mixed.status_code == 400
    count = call(fake_tracker, "POST", "/v2/issues/_count", json=body)
    assert count.json() == 120


def test_scroll_is_a_snapshot_and_refuses_queue(fake_tracker):
    fake_tracker.state.bulk_issues("DISP", 25)
    assert (
        call(
            fake_tracker,
            "POST",
            "/v2/issues/_search",
            params={"scrollType": "unsorted"},
            json={"queue": "DISP"},
        ).status_code
        == 400
    )
    first = call(
        fake_tracker,
        "POST",
        "/v2/issues/_search",
        params={"scrollType": "unsorted", "perScroll": 10},
        json={"filter": {"queue": "DISP"}},
    )
    fake_tracker.state.bulk_issues("DISP", 5)
    seen = [i["key"] for i in first.json()]
    headers = first.headers
    while "X-Scroll-Id" in headers:
        page = call(
            fake_tracker,
            "POST",
            "/v2/issues/_search",
            json={"filter": {"queue": "DISP"}},
            params={"scrollId": headers["X-Scroll-Id"], "scrollToken": headers["X-Scroll-Token"]},
        )
        seen += [i["key"] for i in page.json()]
        headers = page.headers
    assert len(seen) == 25 == len(set(seen))


def test_comments_201_cursor_pages_and_delete_204(fake_tracker):
    key = call(fake_tracker, "POST", "/v2/issues/", json={"queue": "DISP", "summary": "A"}).json()[
        "key"
    ]
    ids = []
    for n in range(3):
        made = call(fake_tracker, "POST", f"/v2/issues/{key}/comments", json={"text": f"c{n}"})
        assert made.status_code == 201 and isinstance(made.json()["id"], int)
        assert isinstance(made.json()["longId"], str)
        ids.append(made.json()["id"])
    page = call(fake_tracker, "GET", f"/v2/issues/{key}/comments", params={"perPage": 2})
    assert [c["id"] for c in page.json()] == ids[:2] and 'rel="next"' in page.headers["Link"]
    rest = call(
        fake_tracker, "GET", f"/v2/issues/{key}/comments", params={"perPage": 2, "id": ids[1]}
    )
    assert [c["id"] for c in rest.json()] == ids[2:]
    assert 'rel="next"' in rest.headers["Link"]  # sent even from the last page
    end = call(
        fake_tracker, "GET", f"/v2/issues/{key}/comments", params={"perPage": 2, "id": ids[2]}
    )
    assert end.json() == []
    gone = call(fake_tracker, "DELETE", f"/v2/issues/{key}/comments/{ids[0]}")
    assert gone.status_code == 204 and gone.content == b""
    assert call(fake_tracker, "POST", f"/v2/issues/{key}/comments", json={}).status_code == 422


def test_email_comment_is_stored_as_outcoming_and_sent(fake_tracker):
    key = call(fake_tracker, "POST", "/v2/issues/", json={"queue": "DISP", "summary": "A"}).json()[
        "key"
    ]
    made = call(
        fake_tracker,
        "POST",
        f"/v2/issues/{key}/comments",
        json={
            "text": "📤 Уведомление оператору",
            "email": {
                "subject": f"Re: {key}: A",
                "text": "Принято",
                "info": {
                    "from": "desk@example.ru",
                    "to": ["op@example.ru"],
                    "cc": ["cc@example.ru"],
                },
            },
        },
    )
    assert made.status_code == 201
    assert (made.json()["type"], made.json()["transport"]) == ("outcoming", "email")
    assert fake_tracker.state.outbox == [
        {
            "issue": key,
            "comment_id": made.json()["id"],
            "from": "desk@example.ru",
            "to": ["op@example.ru"],
            "cc": ["cc@example.ru"],
            "subject": f"Re: {key}: A",
            "text": "Принято",
        }
    ]
    without_text = {"email": {**made.json()["email"]}}
    refused = call(fake_tracker, "POST", f"/v2/issues/{key}/comments", json=without_text)
    assert refused.status_code == 422  # ``text`` is required for e-mail comments too


def test_fields_patch_needs_current_version(fake_tracker):
    field = call(fake_tracker, "GET", "/v2/fields/localId").json()
    assert field["schema"]["type"] == "integer" and field["version"] == 1
    assert (
        call(fake_tracker, "PATCH", "/v2/fields/localId", json={"readonly": True}).status_code
        == 428
    )
    assert (
        call(
            fake_tracker,
            "PATCH",
            "/v2/fields/localId",
            params={"version": 7},
            json={"readonly": True},
        ).status_code
        == 412
    )
    ok = call(
        fake_tracker, "PATCH", "/v2/fields/localId", params={"version": 1}, json={"readonly": True}
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2


def test_statuses_have_numeric_ids_and_users_paginate(fake_tracker):
    statuses = call(fake_tracker, "GET", "/v2/statuses").json()
    assert all(isinstance(s["id"], int) for s in statuses)
    for n in range(60):
        fake_tracker.state.add_user(f"user{n}")
    users = call(fake_tracker, "GET", "/v2/users")
    assert len(users.json()) == 50 and users.headers["X-Total-Pages"] == "2"


@pytest.mark.parametrize("retry_after", ["3", None])
def test_injected_429_with_and_without_retry_after(fake_tracker, retry_after):
    headers = {"Retry-After": retry_after} if retry_after else {}
    fake_tracker.state.inject(429, headers=headers)
    limited = call(fake_tracker, "GET", "/v2/myself")
    assert limited.status_code == 429
    assert limited.headers.get("Retry-After") == retry_after
    assert call(fake_tracker, "GET", "/v2/myself").status_code == 200


def test_attachment_upload_is_201_and_usable_on_create(fake_tracker):
    up = call(
        fake_tracker,
        "POST",
        "/v2/attachments/",
        files={"file": ("акт.pdf", b"%PDF-1", "application/pdf")},
    )
    assert up.status_code == 201 and isinstance(up.json()["id"], str) and up.json()["size"] == 6
    issue = call(
        fake_tracker,
        "POST",
        "/v2/issues/",
        json={"queue": "DISP", "summary": "A", "attachmentIds": [up.json()["id"]]},
    ).json()
    assert issue["attachments"][0]["display"] == "акт.pdf"
    empty = call(
        fake_tracker, "POST", "/v2/attachments/", files={"file": ("e.txt", b"", "text/plain")}
    )
    assert empty.status_code == 400


def test_changelog_records_creation_edits_and_workflow(fake_tracker):
    key = call(
        fake_tracker,
        "POST",
        "/v2/issues/",
        json={"queue": "DISP", "summary": "A", "author": "yndx-tracker-cnt-robot"},
    ).json()["key"]
    call(fake_tracker, "PATCH", f"/v2/issues/{key}", json={"summary": "B"})
    call(fake_tracker, "POST", f"/v3/issues/{key}/transitions/t_inProgress/_execute")
    log = call(fake_tracker, "GET", f"/v2/issues/{key}/changelog").json()
    assert [e["type"] for e in log] == ["IssueCreated", "IssueUpdated", "IssueWorkflow"]
    after = call(fake_tracker, "GET", f"/v2/issues/{key}/changelog", params={"id": log[0]["id"]})
    assert [e["type"] for e in after.json()] == ["IssueUpdated", "IssueWorkflow"]
    workflow = call(
        fake_tracker, "GET", f"/v2/issues/{key}/changelog", params={"type": "IssueWorkflow"}
    )
    assert len(workflow.json()) == 1
