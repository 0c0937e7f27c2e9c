"""A small HTTP client that behaves like a browser behind the TLS proxy in front of the gateway:
it keeps cookies (Secure ones too: TLS ends at the proxy), sends Origin and Referer, and the
proxy's ``X-Forwarded-Proto: https``. Redirects are returned, not followed."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.origin = "https://" + urllib.parse.urlsplit(base_url).netloc
        self.cookies: dict[str, str] = {}
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, data: dict[str, str] | None = None):
        """(status, headers, body) of a GET, or of a form POST when ``data`` is given."""
        headers = {"X-Forwarded-Proto": "https", "Referer": self.origin + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            headers["Origin"] = self.origin
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers)
        try:
            with self._opener.open(request, timeout=30) as response:
                result = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            result = exc.code, exc.headers, exc.read()
        for header in result[1].get_all("Set-Cookie") or []:
            self.cookies.update({k: m.value for k, m in SimpleCookie(header).items()})
        return result

    def log_in(self, login: str, password: str) -> None:
        status, _headers, page = self.request("/accounts/login/")
        assert status == 200, status
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()
        status, headers, body = self.request(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": login, "password": password},
        )
        assert status == 302, (status, body[:2000])
        assert "sessionid" in self.cookies, headers
