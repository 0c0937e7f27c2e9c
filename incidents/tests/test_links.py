"""Links between incidents: stored on both sides with the inverse kind, one parent per
incident and no loops, removed on both sides, every change in both change logs; the API."""

import pytest
from django.urls import reverse

from dispatch.api.testing import client_for, make_incident, make_user
from incidents.defaults import load_defaults
from incidents.links import LinkError, find_incident, link_incidents, unlink_incidents
from incidents.models import IncidentChange, IncidentLink
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


def sides(a, b) -> tuple[str | None, str | None]:
    def kind(x, y):
        return (
            IncidentLink.objects.filter(incident=x, other=y).values_list("kind", flat=True).first()
        )

    return kind(a, b), kind(b, a)


def log(incident) -> list[tuple[str, str, str]]:
    rows = IncidentChange.objects.filter(incident=incident, field="link").order_by("id")
    return [(c.old_value, c.new_value, c.actor) for c in rows]


@pytest.mark.parametrize(
    ("kind", "inverse"),
    [
        ("relates", "relates"),
        ("duplicates", "duplicated_by"),
        ("subtask_of", "parent_of"),
        ("parent_of", "subtask_of"),
        ("blocks", "depends_on"),
        ("depends_on", "blocks"),
    ],
)
def test_link_is_mirrored_with_the_inverse_kind(kind, inverse):
    a, b = make_incident(), make_incident()
    link_incidents(a, b, kind, actor="console")
    assert sides(a, b) == (kind, inverse)


def test_link_and_unlink_are_in_both_change_logs():
    a, b = make_incident(), make_incident()
    user = make_user()
    link_incidents(a, b, "duplicates", actor="console", user=user)
    assert log(a) == [("", f"дубликат {b}", "console")]
    assert log(b) == [("", f"дублируется {a}", "console")]
    assert unlink_incidents(b, a, actor="api", user=user)
    assert sides(a, b) == (None, None)
    assert log(a)[-1] == (f"дубликат {b}", "", "api")
    assert log(b)[-1] == (f"дублируется {a}", "", "api")
    assert not unlink_incidents(a, b, actor="api")  # nothing left: nothing recorded
    assert len(log(a)) == 2


def test_refused_links_write_nothing():
    a, b, c = make_incident(), make_incident(), make_incident()
    with pytest.raises(LinkError, match="самим собой"):
        link_incidents(a, a, "relates", actor="console")
    link_incidents(a, b, "subtask_of", actor="console")  # b is a's parent
    with pytest.raises(LinkError, match="уже связан"):
        link_incidents(b, a, "relates", actor="console")
    with pytest.raises(LinkError, match="уже есть родительский"):
        link_incidents(a, c, "subtask_of", actor="console")
    link_incidents(b, c, "subtask_of", actor="console")  # c → b → a
    with pytest.raises(LinkError, match="круг"):
        link_incidents(c, a, "subtask_of", actor="console")
    with pytest.raises(LinkError, match="круг"):
        link_incidents(a, c, "parent_of", actor="console")
    assert IncidentLink.objects.count() == 4


def test_find_incident_by_code_or_number():
    a = make_incident()
    assert find_incident(a.code) == a
    assert find_incident(a.code.lower()) == a
    assert find_incident(f"№{a.pk}") == a and find_incident(f" {a.pk} ") == a
    assert find_incident("9" * 40) is None and find_incident("") is None
    assert find_incident("99999999999999999999") is None


# -- API -----------------------------------------------------------------------------------------


def test_api_links_list_create_delete():
    a, b = make_incident(), make_incident()
    client = client_for(make_user(Role.DISPATCH))
    url = reverse("api:incident-links", args=[a.pk])
    created = client.post(url, {"kind": "blocks", "incident": b.pk}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "blocks" and body["incident"]["id"] == b.pk
    assert body["incident"]["status"]["key"] == "new"
    other_side = client.get(reverse("api:incident-links", args=[b.pk])).json()
    assert [(x["kind"], x["incident"]["code"]) for x in other_side["results"]] == [
        ("depends_on", a.code)
    ]
    again = client.post(url, {"kind": "relates", "incident": b.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "link_not_allowed"
    unknown = client.post(url, {"kind": "relates", "incident": 999999}, format="json")
    assert unknown.status_code == 409 and unknown.json()["code"] == "link_not_allowed"
    changes = client.get(reverse("api:incident-changes", args=[b.pk])).json()["results"]
    assert changes[0]["field"] == "link" and changes[0]["new_value"] == f"зависит от {a}"
    assert client.delete(f"{url}{b.pk}/").status_code == 204
    assert client.delete(f"{url}{b.pk}/").status_code == 404
    assert IncidentLink.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "nonsense", "incident": 1},
        {"kind": "relates"},
    ],
)
def test_api_invalid_link_is_400(body):
    a = make_incident()
    client = client_for(make_user())
    response = client.post(reverse("api:incident-links", args=[a.pk]), body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_api_reader_cannot_link():
    a, b = make_incident(), make_incident()
    client = client_for(make_user(Role.USER))
    response = client.post(
        reverse("api:incident-links", args=[a.pk]),
        {"kind": "relates", "incident": b.pk},
        format="json",
    )
    assert response.status_code == 403
    assert client.get(reverse("api:incident-links", args=[a.pk])).status_code == 200
