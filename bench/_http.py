"""A small HTTP client for bench/run.py: signs in through the real pages as a browser would, and makes the single
requests that read a page's SQL statement count. The load itself is wrk's (bench/wrk.lua)."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_DATA = re.compile(r'data-csrf-token="([^"]+)"')


class SignInFailed(RuntimeError):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Session:
    """A signed-in browser, as far as the server can tell: its cookies and the CSRF token its pages carry."""

    username: str
    sessionid: str
    csrftoken: str
    form_token: str

    def wrk_field(self) -> str:
        return f"{self.sessionid} {self.csrftoken} {self.form_token}"


class Client:
    """Talks to the server as the TLS proxy in front of it would: every request says X-Forwarded-Proto: https, so the
    production settings (secure cookies, SSL redirect) stay exactly as deployed."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.origin = f"https://{host}:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None, csrf: str = "") -> Response:
        headers = {"X-Forwarded-Proto": "https", "Accept": "text/html,application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if method == "POST":
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
            if csrf:
                headers["X-CSRFToken"] = csrf
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            data = raw.read()
            set_cookies = raw.headers.get_all("Set-Cookie") or []
            response_headers = {name.lower(): value for name, value in raw.getheaders()}
        finally:
            connection.close()
        received: dict[str, str] = {}
        for line in set_cookies:
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                received[name] = morsel.value
        for name, value in received.items():
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return Response(status=raw.status, headers=response_headers, body=data, cookies=received)


def _location_path(response: Response) -> str:
    return urlsplit(response.headers.get("location", "")).path


def sign_in(*, host: str, port: int, username: str, password: str, code: str) -> Session:
    """Password on /accounts/login/, then the second factor on /accounts/two-factor/, then the home page for the CSRF
    token its scripts use. Raises SignInFailed with the step that went wrong."""
    client = Client(host, port)
    page = client.request("GET", "/accounts/login/")
    token = CSRF_FIELD.search(page.text)
    if page.status != 200 or token is None:
        raise SignInFailed(f"{username}: the sign-in page answered {page.status}")
    step = client.request(
        "POST",
        "/accounts/login/",
        form={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
    )
    if step.status != 302 or _location_path(step) != "/accounts/two-factor/":
        raise SignInFailed(f"{username}: the password was refused ({step.status}, to {_location_path(step)!r})")
    page = client.request("GET", "/accounts/two-factor/")
    token = CSRF_FIELD.search(page.text)
    if page.status != 200 or token is None:
        raise SignInFailed(f"{username}: the two-factor page answered {page.status}")
    step = client.request("POST", "/accounts/two-factor/", form={"code": code, "csrfmiddlewaretoken": token.group(1)})
    if step.status != 302 or _location_path(step).startswith("/accounts/"):
        raise SignInFailed(f"{username}: the second factor was refused ({step.status})")
    home = client.request("GET", "/")
    token = CSRF_DATA.search(home.text)
    if home.status != 200 or token is None:
        raise SignInFailed(f"{username}: the home page answered {home.status} after signing in")
    if "sessionid" not in client.cookies or "csrftoken" not in client.cookies:
        raise SignInFailed(f"{username}: no session or CSRF cookie after signing in")
    return Session(
        username=username,
        sessionid=client.cookies["sessionid"],
        csrftoken=client.cookies["csrftoken"],
        form_token=token.group(1),
    )


def as_session(session: Session, *, host: str, port: int) -> Client:
    client = Client(host, port)
    client.cookies = {"sessionid": session.sessionid, "csrftoken": session.csrftoken}
    return client
