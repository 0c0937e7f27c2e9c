"""HTTP front of the fake tracker: routing, JSON rendering, pagination headers, fault injection.

Serves every path under ``/v2`` and ``/v3`` (trailing slash optional), the OAuth token endpoint at
``/oauth/token`` and test hooks under ``/__fake__/``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import socket
from collections.abc import Callable
from datetime import date, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from yandex_tracker.fake.state import LINK_TYPE_NAMES, ApiError, FakeTracker, Fault, fmt

JSON = Any
Route = tuple[str, re.Pattern[str], Callable[..., Any]]


class Response:
    def __init__(
        self, status: int, body: JSON = None, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


class Request:
    def __init__(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        version: str,
    ) -> None:
        self.method, self.path, self.query, self.headers, self.raw, self.v = (
            method,
            path,
            query,
            headers,
            raw,
            version,
        )
        self.uid = 0

    def json(self) -> JSON:
        if not self.raw:
            return None
        try:
            return json.loads(self.raw)
        except ValueError as exc:
            raise ApiError(400, f"Malformed JSON: {exc}") from exc


MAX_PER_PAGE = 1000  # perScroll's documented maximum; page sizes above it are refused, not cut


def _per_page(query: dict[str, str], default: int = 50, name: str = "perPage") -> tuple[int, int]:
    try:
        per_page = int(query.get(name, default))
        page = int(query.get("page", 1))
    except ValueError as exc:
        raise ApiError(400, f"{name} and page must be integers") from exc
    if per_page < 1 or page < 1:
        raise ApiError(400, f"{name} and page must be positive")
    if per_page > MAX_PER_PAGE:
        raise ApiError(400, f"{name} must be at most {MAX_PER_PAGE}")
    return per_page, page


class Api:
    """Turns requests into ``FakeTracker`` calls and state into API JSON."""

    def __init__(self, state: FakeTracker) -> None:
        self.s = state
        r = re.compile
        self.routes: list[Route] = [
            ("GET", r(r"/myself"), self.myself),
            ("GET", r(r"/users"), self.users),
            ("GET", r(r"/users/(?P<uid>[^/]+)"), self.user),
            ("GET", r(r"/statuses"), self.statuses),
            ("GET", r(r"/queues/(?P<q>[^/]+)"), self.queue),
            ("GET", r(r"/queues/(?P<q>[^/]+)/localFields"), self.local_fields),
            ("POST", r(r"/queues/(?P<q>[^/]+)/localFields"), self.create_local_field),
            ("GET", r(r"/fields/categories"), self.categories),
            ("GET", r(r"/fields"), self.fields),
            ("POST", r(r"/fields"), self.create_field),
            ("GET", r(r"/fields/(?P<fid>[^/]+)"), self.field),
            ("PATCH", r(r"/fields/(?P<fid>[^/]+)"), self.patch_field),
            ("POST", r(r"/attachments"), self.upload),
            ("POST", r(r"/issues"), self.create_issue),
            ("POST", r(r"/issues/_search"), self.search),
            ("POST", r(r"/issues/_count"), self.count),
            ("POST", r(r"/issues/_findByUnique"), self.find_by_unique),
            ("GET", r(r"/issues/(?P<key>[^/_][^/]*)"), self.get_issue),
            ("PATCH", r(r"/issues/(?P<key>[^/_][^/]*)"), self.patch_issue),
            ("GET", r(r"/issues/(?P<key>[^/]+)/transitions"), self.transitions),
            ("GET", r(r"/issues/(?P<key>[^/]+)/transitions/(?P<tid>[^/]+)"), self.transition),
            (
                "POST",
                r(r"/issues/(?P<key>[^/]+)/transitions/(?P<tid>[^/]+)/_execute"),
                self.execute,
            ),
            ("GET", r(r"/issues/(?P<key>[^/]+)/comments"), self.comments),
            ("POST", r(r"/issues/(?P<key>[^/]+)/comments"), self.add_comment),
            ("PATCH", r(r"/issues/(?P<key>[^/]+)/comments/(?P<cid>[^/]+)"), self.edit_comment),
            ("DELETE", r(r"/issues/(?P<key>[^/]+)/comments/(?P<cid>[^/]+)"), self.delete_comment),
            ("GET", r(r"/issues/(?P<key>[^/]+)/links"), self.links),
            ("POST", r(r"/issues/(?P<key>[^/]+)/links"), self.add_link),
            ("DELETE", r(r"/issues/(?P<key>[^/]+)/links/(?P<lid>[^/]+)"), self.delete_link),
            ("GET", r(r"/issues/(?P<key>[^/]+)/changelog"), self.changelog),
            ("GET", r(r"/issues/(?P<key>[^/]+)/attachments"), self.issue_attachments),
            ("POST", r(r"/system/search/scroll/_clear"), self.clear_scroll),
        ]

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        if req.path.startswith("/__fake__/"):
            return self.hook(req)
        if req.path.rstrip("/") == "/oauth/token":
            return self.oauth(req)
        match = re.match(r"^/(v2|v3)(/.*?)/?$", req.path)
        if not match:
            raise ApiError(404, f"no such path {req.path}")
        req.v, tail = match.group(1), match.group(2)
        with self.s.lock:
            self.s.requests.append((req.method, req.path))
        fault = self.s.take_fault(req.method, req.path)
        if fault and not fault.after:
            return self.fault_response(fault)
        req.uid = self.s.authenticate(req.headers)
        allowed_methods = set()
        for method, pattern, view in self.routes:
            found = pattern.fullmatch(tail)
            if found:
                if method != req.method:
                    allowed_methods.add(method)
                    continue
                response = view(req, **found.groupdict())
                if fault:
                    return self.fault_response(fault)
                return response
        if allowed_methods:
            raise ApiError(405, f"{req.method} not allowed")
        raise ApiError(404, f"no such resource {tail}")

    @staticmethod
    def fault_response(fault: Fault) -> Response:
        return Response(
            fault.status, _error_body(fault.status, "injected fault"), dict(fault.headers)
        )

    # -- rendering -----------------------------------------------------------------------------

    def url(self, req: Request, path: str) -> str:
        return f"{self.s.base_url}/{req.v}/{path}"

    def render_issue(self, req: Request, issue: JSON, *, expand: str = "") -> JSON:
        s, v = self.s, req.v
        out: JSON = {}
        for name, value in issue.items():
            if value is None or value == [] or value == "":
                continue
            if name == "queue":
                queue = s.queues[value]
                out[name] = {
                    "self": self.url(req, f"queues/{value}"),
                    "id": queue["id"],
                    "key": value,
                    "display": queue["name"],
                }
            elif name in ("status", "previousStatus"):
                out[name] = s.status_ref(value, v)
            elif name in ("createdBy", "updatedBy", "assignee"):
                out[name] = s.user_ref(value, v)
            elif name == "followers":
                out[name] = [s.user_ref(uid, v) for uid in value]
            elif name == "type":
                type_id, display = ("2", "Инцидент") if value == "incident" else ("1", value)
                out[name] = {
                    "self": self.url(req, f"issuetypes/{type_id}"),
                    "id": type_id,
                    "key": value,
                    "display": display,
                }
            elif name == "attachments":
                out[name] = [
                    {
                        "self": self.url(req, f"issues/{issue['key']}/attachments/{a}"),
                        "id": a,
                        "display": s.attachments[a]["name"],
                    }
                    for a in value
                ]
            elif isinstance(value, datetime):
                out[name] = fmt(value)
            elif isinstance(value, date):
                out[name] = value.isoformat()
            else:
                out[name] = value
        out["self"] = self.url(req, f"issues/{issue['key']}")
        out["votes"], out["favorite"] = 0, False
        if "transitions" in expand.split(","):
            out["transitions"] = self.render_transitions(req, issue["key"])
        return out

    def render_transitions(self, req: Request, key: str) -> list[JSON]:
        return [
            {
                "id": tid,
                "self": self.url(req, f"issues/{key}/transitions/{tid}"),
                "display": self.s.status_by_key(to)["name"],
                "to": self.s.status_ref(to, req.v),
            }
            for tid, to in self.s.transitions(key)
        ]

    def render_comment(self, req: Request, key: str, c: JSON) -> JSON:
        out = {
            k: (fmt(v) if isinstance(v, datetime) else v)
            for k, v in c.items()
            if v not in (None, [], "")
        }
        out["createdBy"] = self.s.user_ref(c["createdBy"], req.v)
        out["updatedBy"] = self.s.user_ref(c["updatedBy"], req.v)
        out["self"] = self.url(req, f"issues/{key}/comments/{c['id']}")
        if c["attachments"]:
            out["attachments"] = [
                {"id": a, "display": self.s.attachments[a]["name"]} for a in c["attachments"]
            ]
        return out

    def render_field(self, req: Request, f: JSON) -> JSON:
        out = {k: v for k, v in f.items() if k != "kind"}
        out["self"] = self.url(req, f"fields/{f['id']}")
        out["category"] = {
            **f["category"],
            "self": self.url(req, f"fields/categories/{f['category']['id']}"),
        }
        return out

    def page(self, req: Request, items: list[JSON], *, default: int = 50) -> Response:
        per_page, page = _per_page(req.query, default)
        total = len(items)
        pages = max(1, math.ceil(total / per_page)) if total else 0
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {"X-Total-Count": str(total), "X-Total-Pages": str(pages)}
        links = []
        base = f"{self.s.base_url}{req.path}"
        query = {k: v for k, v in req.query.items() if k != "page"}
        if page < pages:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        links.append(f'<{base}?{urlencode({**query, "page": 1})}>; rel="first"')
        headers["Link"] = ", ".join(links)
        return Response(200, chunk, headers)

    def cursor_links(self, req: Request, per_page: int, chunk: list[JSON]) -> str:
        """``Link`` of a cursor list: ``first``, and ``next`` after the page's last id (sent
        even from the last full page); the other query parameters are kept."""
        base = f"{self.s.base_url}{req.path}"
        query = {k: v for k, v in req.query.items() if k != "id"}
        query["perPage"] = str(per_page)
        links = [f'<{base}?{urlencode(query)}>; rel="first"']
        if chunk:
            links.append(f'<{base}?{urlencode({**query, "id": chunk[-1]["id"]})}>; rel="next"')
        return ", ".join(links)

    # -- views ---------------------------------------------------------------------------------

    def myself(self, req: Request) -> Response:
        return Response(200, self.render_user(req, self.s.user_by(req.uid)))

    def render_user(self, req: Request, user: JSON) -> JSON:
        return {**user, "self": self.url(req, f"users/{user['uid']}")}

    def users(self, req: Request) -> Response:
        return self.page(req, [self.render_user(req, u) for u in self.s.users])

    def user(self, req: Request, uid: str) -> Response:
        return Response(200, self.render_user(req, self.s.user_by(uid)))

    def statuses(self, req: Request) -> Response:
        return Response(
            200, [{**st, "self": self.url(req, f"statuses/{st['id']}")} for st in self.s.statuses]
        )

    def queue(self, req: Request, q: str) -> Response:
        if q not in self.s.queues:
            raise ApiError(404, f"queue {q} not found")
        queue = self.s.queues[q]
        return Response(
            200,
            {
                **queue,
                "self": self.url(req, f"queues/{q}"),
                "defaultType": {"id": "1", "key": "task", "display": "Задача"},
            },
        )

    def local_fields(self, req: Request, q: str) -> Response:
        if q not in self.s.queues:
            raise ApiError(404, f"queue {q} not found")
        out = []
        for f in self.s.local_fields[q].values():
            item = self.render_field(req, f)
            item["self"] = self.url(req, f"queues/{q}/localFields/{f['key']}")
            out.append(item)
        return Response(200, out)

    def create_local_field(self, req: Request, q: str) -> Response:
        body = req.json() or {}
        name = body.get("name") or {}
        kind = _kind(body.get("type", ""))
        f = self.s.add_local_field(
            q,
            str(body.get("id") or body.get("key") or ""),
            name.get("ru") or name.get("en") or "",
            kind,
        )
        return Response(201, self.render_field(req, f))

    def categories(self, req: Request) -> Response:
        return Response(
            200,
            [
                {**self.s.category_ref(n), "name": n, "version": 1}
                for n in ("system", "timestamp", "agile", "email", "sla")
            ],
        )

    def fields(self, req: Request) -> Response:
        every = [*self.s.system_fields.values(), *self.s.fields.values()]
        return Response(200, [self.render_field(req, f) for f in every])

    def field(self, req: Request, fid: str) -> Response:
        found = self.s.fields.get(fid) or self.s.system_fields.get(fid)
        if found is None:
            raise ApiError(404, f"field {fid} not found")
        return Response(200, self.render_field(req, found))

    def create_field(self, req: Request) -> Response:
        body = req.json() or {}
        name = body.get("name") or {}
        if not body.get("id") or not isinstance(name, dict) or not body.get("type"):
            raise ApiError(400, "id, name{en,ru} and type are required")
        f = self.s.add_field(
            str(body["id"]), name.get("ru") or name.get("en") or body["id"], _kind(body["type"])
        )
        for attr in ("description", "readonly", "hidden", "visible"):
            if attr in body:
                f[attr] = body[attr]
        return Response(201, self.render_field(req, f))

    def patch_field(self, req: Request, fid: str) -> Response:
        with self.s.lock:
            if fid not in self.s.fields:
                raise ApiError(404, f"field {fid} not found")
            f = self.s.fields[fid]
            if "version" not in req.query:
                raise ApiError(428, "version is required")
            if req.query["version"] != str(f["version"]):
                raise ApiError(412, "stale version")
            body = req.json() or {}
            for attr, value in body.items():
                if attr == "name":
                    f["name"] = (
                        value.get("ru") or value.get("en") if isinstance(value, dict) else value
                    )
                elif attr in ("description", "readonly", "hidden", "visible", "order"):
                    f[attr] = value
                else:
                    raise ApiError(422, f"cannot change {attr}")
            f["version"] += 1
            return Response(200, self.render_field(req, f))

    def upload(self, req: Request) -> Response:
        content_type = req.headers.get("content-type", "")
        if "multipart/form-data" not in content_type:
            raise ApiError(400, "multipart/form-data with a 'file' part expected")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + req.raw
        )
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                filename = req.query.get("filename") or part.get_filename() or "file"
                att = self.s.add_attachment(
                    filename, part.get_payload(decode=True) or b"", part.get_content_type(), req.uid
                )
                body = {k: v for k, v in att.items() if k != "content"}
                body["createdAt"] = fmt(att["createdAt"])
                body["createdBy"] = self.s.user_ref(req.uid, req.v)
                body["self"] = self.url(req, f"attachments/{att['id']}")
                body["content"] = self.url(req, f"attachments/{att['id']}/{filename}")
                return Response(201, body)
        raise ApiError(400, "no 'file' part")

    def create_issue(self, req: Request) -> Response:
        return Response(201, self.render_issue(req, self.s.create_issue(req.json(), req.uid)))

    def find_by_unique(self, req: Request) -> Response:
        return Response(
            200, self.render_issue(req, self.s.find_by_unique(req.query.get("unique", "")))
        )

    def get_issue(self, req: Request, key: str) -> Response:
        return Response(
            200, self.render_issue(req, self.s.get_issue(key), expand=req.query.get("expand", ""))
        )

    def patch_issue(self, req: Request, key: str) -> Response:
        issue = self.s.patch_issue(
            key,
            req.json(),
            req.uid,
            version=req.query.get("version"),
            if_match=req.headers.get("if-match"),
        )
        return Response(200, self.render_issue(req, issue))

    def search(self, req: Request) -> Response:
        body = req.json()
        expand = req.query.get("expand", "")
        if "scrollId" in req.query:
            return self.scroll_next(req, expand)
        if "scrollType" in req.query or "perScroll" in req.query:
            if isinstance(body, dict) and ("queue" in body or "keys" in body):
                raise ApiError(400, "Scroll is not supported for queue or keys")
            issues = self.s.search(body)
            per, _page = _per_page(req.query, 100, name="perScroll")
            scroll_id = self.s.open_scroll(issues, per)
            return self.scroll_next(req, expand, scroll_id=scroll_id, total=len(issues))
        issues = self.s.search(body)
        with self.s.lock:
            rendered = [self.render_issue(req, i, expand=expand) for i in issues]
        return self.page(req, rendered)

    def scroll_next(
        self, req: Request, expand: str, scroll_id: str | None = None, total: int | None = None
    ) -> Response:
        with self.s.lock:
            scroll_id = scroll_id or req.query["scrollId"]
            scroll = self.s.scrolls.get(scroll_id)
            if scroll is None or (
                total is None and req.query.get("scrollToken") != scroll["token"]
            ):
                raise ApiError(403, "Expired signature")
            keys = scroll["keys"][scroll["pos"] : scroll["pos"] + scroll["per"]]
            scroll["pos"] += len(keys)
            items = [
                self.render_issue(req, self.s.issues[k], expand=expand)
                for k in keys
                if k in self.s.issues
            ]
            headers = {"X-Total-Count": str(len(scroll["keys"]))}
            if scroll["pos"] < len(scroll["keys"]):
                scroll["token"] = self.s.scrolls[scroll_id]["token"]
                headers["X-Scroll-Id"], headers["X-Scroll-Token"] = scroll_id, scroll["token"]
            return Response(200, items, headers)

    def clear_scroll(self, req: Request) -> Response:
        for scroll_id in req.json() or {}:
            self.s.scrolls.pop(scroll_id, None)
        return Response(200, {})

    def count(self, req: Request) -> Response:
        return Response(200, len(self.s.search(req.json())))

    def transitions(self, req: Request, key: str) -> Response:
        return Response(200, self.render_transitions(req, key))

    def transition(self, req: Request, key: str, tid: str) -> Response:
        """One transition available from the issue's current status."""
        for transition in self.render_transitions(req, key):
            if transition["id"] == tid:
                return Response(200, transition)
        raise ApiError(404, f"transition {tid} not found")

    def execute(self, req: Request, key: str, tid: str) -> Response:
        self.s.execute(key, tid, req.json() or {}, req.uid)
        return Response(200, self.render_transitions(req, self.s.get_issue(key)["key"]))

    def comments(self, req: Request, key: str) -> Response:
        issue = self.s.get_issue(key)
        per_page, _page = _per_page(req.query)
        items = self.s.comments[issue["key"]]
        if "id" in req.query:
            after = req.query["id"]
            index = next((n for n, c in enumerate(items) if str(c["id"]) == after), None)
            if index is None:
                raise ApiError(404, f"comment {after} not found")
            items = items[index + 1 :]
        chunk = [self.render_comment(req, issue["key"], c) for c in items[:per_page]]
        return Response(200, chunk, {"Link": self.cursor_links(req, per_page, chunk)})

    def add_comment(self, req: Request, key: str) -> Response:
        comment = self.s.add_comment(key, req.json(), req.uid)
        return Response(201, self.render_comment(req, self.s.get_issue(key)["key"], comment))

    def edit_comment(self, req: Request, key: str, cid: str) -> Response:
        with self.s.lock:
            comment = self.s.comment(key, cid)
            body = req.json() or {}
            if not body.get("text"):
                raise ApiError(422, "text is required")
            comment["text"] = body["text"]
            comment["version"] += 1
            comment["updatedAt"] = self.s.now()
            return Response(200, self.render_comment(req, self.s.get_issue(key)["key"], comment))

    def delete_comment(self, req: Request, key: str, cid: str) -> Response:
        self.s.delete_comment(key, cid)
        return Response(204)

    def render_link(self, req: Request, key: str, link: JSON) -> JSON:
        outward, inward = LINK_TYPE_NAMES[link["type"]]
        other = self.s.issues[link["object"]]
        return {
            "self": self.url(req, f"issues/{key}/links/{link['id']}"),
            "id": link["id"],
            "type": {
                "self": self.url(req, f"linktypes/{link['type']}"),
                "id": link["type"],
                "inward": inward,
                "outward": outward,
            },
            "direction": link["direction"],
            "object": {
                "self": self.url(req, f"issues/{other['key']}"),
                "id": other["id"],
                "key": other["key"],
                "display": other["summary"],
            },
            "createdBy": self.s.user_ref(link["createdBy"], req.v),
            "createdAt": fmt(link["createdAt"]),
        }

    def links(self, req: Request, key: str) -> Response:
        issue = self.s.get_issue(key)
        links = self.s.links[issue["key"]]
        return Response(200, [self.render_link(req, issue["key"], x) for x in links])

    def add_link(self, req: Request, key: str) -> Response:
        link = self.s.add_link(key, req.json(), req.uid)
        return Response(201, self.render_link(req, self.s.get_issue(key)["key"], link))

    def delete_link(self, req: Request, key: str, lid: str) -> Response:
        self.s.delete_link(key, lid, req.uid)
        return Response(204)

    def changelog(self, req: Request, key: str) -> Response:
        issue = self.s.get_issue(key)
        per_page, _page = _per_page(req.query)
        entries = self.s.changelog[issue["key"]]
        if "id" in req.query:
            index = next(
                (n for n, e in enumerate(entries) if e["id"] == req.query["id"]), len(entries)
            )
            entries = entries[index + 1 :]
        if "type" in req.query:
            entries = [e for e in entries if e["type"] == req.query["type"]]
        chunk = entries[:per_page]
        out = [
            {
                "id": e["id"],
                "self": self.url(req, f"issues/{issue['key']}/changelog/{e['id']}"),
                "issue": {"id": issue["id"], "key": issue["key"]},
                "updatedAt": fmt(e["updatedAt"]),
                "updatedBy": self.s.user_ref(e["updatedBy"], req.v),
                "type": e["type"],
                "transport": "front",
                "fields": [
                    {
                        "field": {
                            "self": self.url(req, f"fields/{name}"),
                            "id": name,
                            "display": name,
                        },
                        "from": self.render_value(req, name, old),
                        "to": self.render_value(req, name, new),
                    }
                    for name, old, new in e["fields"]
                ],
            }
            for e in chunk
        ]
        return Response(200, out, {"Link": self.cursor_links(req, per_page, chunk)})

    def issue_attachments(self, req: Request, key: str) -> Response:
        """``GET /issues/{key}/attachments``: the files of the issue and of its comments."""
        with self.s.lock:
            issue = self.s.get_issue(key)
            ids = list(issue.get("attachments") or [])
            for comment in self.s.comments[issue["key"]]:
                ids.extend(a for a in comment["attachments"] if a not in ids)
            return Response(200, [self.render_attachment(req, issue["key"], a) for a in ids])

    def render_attachment(self, req: Request, key: str, att_id: str) -> JSON:
        att = self.s.attachments[att_id]
        return {
            "self": self.url(req, f"issues/{key}/attachments/{att_id}"),
            "id": att_id,
            "name": att["name"],
            "content": self.url(req, f"issues/{key}/attachments/{att_id}/{att['name']}"),
            "createdBy": self.s.user_ref(att["createdBy"], req.v),
            "createdAt": fmt(att["createdAt"]),
            "mimetype": att["mimetype"],
            "size": att["size"],
        }

    def render_value(self, req: Request, name: str, value: Any) -> JSON:
        """A changelog ``from``/``to`` value: a status reference, a datetime, or the value."""
        if value is None:
            return None
        if name in ("status", "previousStatus"):
            return self.s.status_ref(value, req.v)
        if isinstance(value, datetime):
            return fmt(value)
        return value

    # -- OAuth and hooks ------------------------------------------------------------------------

    def oauth(self, req: Request) -> Response:
        if req.method != "POST":
            raise ApiError(405, "POST only")
        form = {k: v[0] for k, v in parse_qs(req.raw.decode()).items()}
        basic = None
        auth = req.headers.get("authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            basic = (client_id, secret)
        try:
            return Response(200, self.s.refresh(form, basic))
        except ApiError as exc:
            return Response(
                400, {"error": exc.message, "error_description": f"refresh refused: {exc.message}"}
            )

    def hook(self, req: Request) -> Response:
        """Test hooks for a standalone fake (tests in-process use ``FakeTracker`` directly)."""
        name = req.path.removeprefix("/__fake__/").strip("/")
        body = req.json() or {}
        if name == "faults" and req.method == "POST":
            fault = self.s.inject(int(body.pop("status")), **body)
            return Response(201, {"status": fault.status, "count": fault.count})
        if name == "requests":
            if req.method == "DELETE":
                self.s.requests.clear()
                return Response(204)
            return Response(200, [{"method": m, "path": p} for m, p in self.s.requests])
        if name == "outbox":
            return Response(200, self.s.outbox)
        if name == "tokens/expire" and req.method == "POST":
            self.s.expire_token(body.get("access_token"))
            return Response(204)
        if name == "users" and req.method == "POST":
            return Response(201, self.s.add_user(body["login"], body.get("display", "")))
        if name == "tokens" and req.method == "POST":
            self.s.add_token(body["access_token"], self.s.user_by(body["login"])["uid"])
            return Response(204)
        if name == "bulk_issues" and req.method == "POST":
            keys = self.s.bulk_issues(body["queue"], int(body["count"]), body.get("fields"))
            return Response(201, {"count": len(keys), "last": keys[-1] if keys else None})
        raise ApiError(404, f"no hook {name}")


def _kind(type_class: str) -> str:
    from yandex_tracker.fake.state import SCHEMA_BY_CLASS

    if type_class in SCHEMA_BY_CLASS:
        return SCHEMA_BY_CLASS[type_class]
    if type_class in ("integer", "string", "datetime", "date"):
        return type_class
    raise ApiError(422, f"unknown field type {type_class!r}")


def _error_body(status: int, message: str) -> JSON:
    return {"errors": {}, "errorMessages": [message], "statusCode": status}


def make_handler(api: Api) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one ``Api``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeTracker/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = Request(self.command, parts.path, query, headers, raw, "v2")
            try:
                response = api.handle(req)
            except ApiError as exc:
                response = Response(exc.status, _error_body(exc.status, exc.message), exc.headers)
            except Exception as exc:  # a bug in the fake must still answer
                response = Response(500, _error_body(500, f"{type(exc).__name__}: {exc}"))
            self._send(response)

        def _send(self, response: Response) -> None:
            payload = (
                b""
                if response.status == 204 or response.body is None
                else json.dumps(response.body, ensure_ascii=False).encode()
            )
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    return Handler
