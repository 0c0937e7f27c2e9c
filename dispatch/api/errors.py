"""One error shape for every API failure, and its OpenAPI description with examples."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ErrorSerializer(serializers.Serializer):
    """What every 4xx answer of the API looks like."""

    status = serializers.IntegerField(help_text="HTTP status code, repeated in the body.")
    code = serializers.CharField(
        help_text="Machine-readable error code, e.g. `not_authenticated`, `invalid`, "
        "`transition_not_allowed`, `throttled`."
    )
    detail = serializers.CharField(help_text="Human-readable message (Russian by default).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages for validation errors (400).",
    )


def error_body(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict:
    body: dict[str, Any] = {"status": status_code, "code": code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF validation details → {field: [messages]} (nested paths joined with dots)."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, sub in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)

    walk("", detail)
    return out


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler producing :class:`ErrorSerializer` bodies."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            response.status_code, "invalid", _("Invalid input."), _flatten(exc.detail)
        )
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc.detail, str) else _("Request failed.")
        response.data = error_body(response.status_code, code, detail)
    else:  # Http404 / PermissionDenied converted by DRF
        code = "not_found" if response.status_code == status.HTTP_404_NOT_FOUND else "error"
        response.data = error_body(response.status_code, code, response.data.get("detail", ""))
    return response


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """JSON 404 for any unknown path under the API prefix (instead of the HTML page)."""
    return JsonResponse(error_body(404, "not_found", _("Not found.")), status=404)


_EXAMPLES: dict[int, tuple[str, str, dict | None]] = {
    400: ("invalid", "Invalid input.", {"status": ["Select a valid choice."]}),
    401: ("not_authenticated", "Authentication credentials were not provided.", None),
    403: ("permission_denied", "You do not have permission to perform this action.", None),
    404: ("not_found", "Not found.", None),
    409: (
        "transition_not_allowed",
        "Transition from «Закрыт» to «Новый» is not allowed.",
        None,
    ),
    429: ("throttled", "Request was throttled. Expected available in 12 seconds.", None),
}

_DESCRIPTIONS = {
    400: "Invalid input: a filter, page or body field is wrong (see `errors`).",
    401: "No or invalid credentials (token or session).",
    403: "Authenticated, but the role does not allow this (guests are refused everywhere).",
    404: "No such object, or page out of range.",
    409: "The change conflicts with the incident's state (workflow rules).",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
}


def error_response(code: int) -> OpenApiResponse:
    """The documented error response for one status code, with an example."""
    err_code, detail, errors = _EXAMPLES[code]
    return OpenApiResponse(
        response=ErrorSerializer,
        description=_DESCRIPTIONS[code],
        examples=[
            OpenApiExample(
                err_code,
                value=error_body(code, err_code, detail, errors),
                response_only=True,
                status_codes=[str(code)],
            )
        ],
    )


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: error_response(code) for code in codes}
