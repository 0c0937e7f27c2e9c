"""The OpenAPI description: valid, complete error codes with examples, docs pages served."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from dispatch.api.testing import client_for, make_user
from users.models import Role


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_operation_documents_auth_role_and_throttling_errors(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        assert {"401", "403", "429"} <= codes, (method, path, codes)
        if "{" in path:
            assert "404" in codes, (method, path)
        if method == "post":
            assert "400" in codes, (method, path)
        assert operation.get("security"), (method, path)


def test_list_operations_document_bad_filters_and_missing_pages(schema):
    for path, _method, operation in operations(schema):
        if "page" in {p["name"] for p in operation.get("parameters", [])}:
            assert {"400", "404"} <= set(operation["responses"]), path


def test_status_change_documents_the_workflow_conflict(schema):
    responses = schema["paths"]["/api/v1/incidents/{id}/status/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "429"} == set(responses)
    example = responses["409"]["content"]["application/json"]["examples"]
    assert next(iter(example.values()))["value"]["code"] == "transition_not_allowed"


def test_errors_share_one_schema_with_examples(schema):
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                content = response["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, code)
                assert content["examples"], (method, path, code)


def test_live_queue_is_documented_as_an_event_stream(schema):
    operation = schema["paths"]["/api/v1/incidents/live/"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["api:schema", "api:docs", "api:redoc"])
def test_docs_are_served_to_api_roles_only(name):
    assert client_for(None).get(reverse(name)).status_code == 401
    assert client_for(make_user(Role.GUEST)).get(reverse(name)).status_code == 403
    assert client_for(make_user(Role.USER)).get(reverse(name)).status_code == 200
