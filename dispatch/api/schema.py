"""OpenAPI generation: every operation documents every error code it can return."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

from dispatch.api.errors import error_response


class ApiAutoSchema(AutoSchema):
    """Adds the shared error responses to each operation.

    401/403/429 everywhere (authentication, role, throttling); 404 where a path names an object
    or a page may be out of range; 400 where query parameters or a body are validated.
    Views add 409 themselves where the workflow may refuse a change.
    """

    def _error_codes(self) -> list[int]:
        codes = [401, 403, 429]
        has_path_param = "{" in self.path
        is_list = self.method == "GET" and self._is_list_view()
        if has_path_param or is_list:
            codes.append(404)
        if is_list or self.method in ("POST", "PUT", "PATCH"):
            codes.append(400)
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(
                str(code),
                self._get_response_for_code(error_response(code), str(code), direction=direction),
            )
        return dict(sorted(responses.items()))
