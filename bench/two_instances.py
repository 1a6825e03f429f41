"""Scale out, not up: two gunicorn instances on one database, and a user moving between them mid-task.

Run by hand (bench/run.py runs it last and appends what it prints to bench/RESULTS.md):

    .venv/bin/python bench/two_instances.py [--database evolve_two]

It migrates and seeds the demo data into its own database, starts two gunicorn servers with production settings on
two ports, sharing only what the deployment shares (PostgreSQL, Redis and the private file store), then:

1. signs in with the password on instance A and gives the second factor on instance B (the session lives in
   PostgreSQL, so B knows what A began);
2. starts a referral on B and uploads an attachment to it on A, then downloads the attachment from B and compares it
   byte for byte with what was sent;
3. downloads the demo team's monthly report (PDF and CSV) from both instances and checks each against the checksum
   recorded when it was built.

It prints a markdown section and exits 1 if any step fails. Nothing is mocked: real processes, real sockets.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
SECRET = "bench-only-not-a-secret-" + "x" * 40  # a throwaway server on loopback, never a deployment
DEMO_PASSWORD = "evolve-demo-password"  # noqa: S105 - evolve.demo.data's, for the demo logins only
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Step:
    name: str
    ok: bool
    detail: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(database: str, media: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "evolve.settings.production",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "PRIVATE_MEDIA_ROOT": str(media),
        "DEMO_DATA_ALLOWED": "true",
        "LOG_LEVEL": "WARNING",
    }


def prepare(database: str, env: dict[str, str]) -> None:
    if not re.fullmatch(r"[a-z0-9_]+", database):
        raise SystemExit(f"Not a database name this script makes: {database!r}")
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{database}'"],  # noqa: S608
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    local = {**env, "DJANGO_SETTINGS_MODULE": "evolve.settings.local", "DEBUG": "false"}
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=local, check=True)
    subprocess.run([PY, "manage.py", "seed_demo"], cwd=ROOT, env=local, check=True, capture_output=True)
    static = ROOT / "var" / "staticfiles" / "staticfiles.json"
    if not static.exists():
        subprocess.run([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)


@contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    with log.open("w") as out:
        server = subprocess.Popen(
            [GUNICORN, "evolve.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    requests.get(f"{base}/healthz", timeout=10, allow_redirects=False)
                    break
                except requests.RequestException:
                    time.sleep(0.5)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


class Browser:
    """One person's cookies, sent to whichever instance each request goes to (as a load balancer would).

    The benchmark stands in for the TLS-terminating proxy that production settings expect: it says the request came
    over HTTPS, and it keeps the Secure cookies that a client library would otherwise hold back on plain HTTP.
    """

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def send(self, method: str, url: str, **options: object) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", **options.pop("headers", {})}  # type: ignore[dict-item]
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = requests.request(method, url, headers=headers, allow_redirects=False, timeout=60, **options)  # type: ignore[arg-type]
        for header in response.raw.headers.getlist("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response

    def _csrf(self, base: str, path: str) -> str:
        page = self.get(base, path)
        page.raise_for_status()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise RuntimeError(f"No form on {path}")
        return match.group(1)

    def post(self, base: str, path: str, data: dict[str, str], files: dict[str, object] | None = None) -> str:
        """Post the form on path as a browser would (token from the page, Referer and Origin of the same site)."""
        token = self._csrf(base, path)
        origin = base.replace("http://", "https://")
        response = self.send(
            "POST",
            base + path,
            data={"csrfmiddlewaretoken": token, **data},
            files=files,
            headers={"Referer": origin + path, "Origin": origin},
        )
        if response.status_code not in (302, 303):
            raise RuntimeError(f"POST {path} answered {response.status_code}, not a redirect")
        return response.headers["Location"]

    def get(self, base: str, path: str) -> requests.Response:
        return self.send("GET", base + path)


def demo_state(env: dict[str, str], username: str) -> tuple[str, list[tuple[str, str, str, str]]]:
    """A fresh backup code for the user, and the demo team's stored reports (id, pdf and csv checksums, version)."""
    script = (
        "import django; django.setup()\n"
        "from evolve.accounts.models import User\n"
        "from evolve.accounts.services import backup_codes_replace\n"
        "from reporting.models import MonthlyReport\n"
        f"user = User.objects.get(username={username!r})\n"
        "backup_codes_replace(user=user, codes=['benchtwo'])\n"
        "for r in MonthlyReport.objects.select_related('build'):\n"
        "    print(r.build.public_id, r.pdf_sha256, r.csv_sha256, r.build.version)\n"
    )
    local = {**env, "DJANGO_SETTINGS_MODULE": "evolve.settings.local", "DEBUG": "false"}
    out = subprocess.run([PY, "-c", script], cwd=ROOT, env=local, check=True, capture_output=True, text=True).stdout
    reports = [tuple(line.split()) for line in out.splitlines() if line.strip()]
    return "benchtwo", reports  # type: ignore[return-value]


def sign_in_across(browser: Browser, a: str, b: str, username: str, code: str) -> Step:
    browser.post(a, "/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    browser.post(b, "/accounts/two-factor/", {"code": code})
    home = browser.get(a, "/")
    ok = home.status_code == 200 and "Sign out" in home.text
    return Step("Sign in: password on A, second factor on B, home page on A", ok, f"home page on A: {home.status_code}")


def upload_across(browser: Browser, a: str, b: str) -> Step:
    location = browser.post(b, "/referrals/new/", {})
    edit = location if location.startswith("/") else "/" + location.split("/", 3)[3]
    page = browser.get(a, edit)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    if page.status_code != 200 or not version:
        return Step("Upload on A, download from B", False, f"the draft's form on A answered {page.status_code}")
    sent = PDF + os.urandom(16).hex().encode()
    attachment = {"attachment": ("notes.pdf", sent, "application/pdf")}
    browser.post(a, edit, {"version": version.group(1), "action": "save"}, files=attachment)
    draft = browser.get(b, edit.removesuffix("edit/")).text  # the referral's own page lists its files
    link = re.search(r'href="(/referrals/[0-9a-f-]+/files/[0-9a-f-]+/)"', draft)
    if not link:
        return Step("Upload on A, download from B", False, "no attachment listed on B after the upload on A")
    download = browser.get(b, link.group(1))
    ok = download.status_code == 200 and download.content == sent
    detail = f"{len(sent)} bytes sent to A, {len(download.content)} identical bytes from B" if ok else "differs"
    return Step("Upload on A, download from B", ok, detail)


def reports_across(browser: Browser, a: str, b: str, reports: list[tuple[str, str, str, str]]) -> Step:
    if not reports:
        return Step("Report downloads from A and B", False, "seed_demo built no report")
    report_id, pdf_sha, csv_sha, _version = reports[0]
    found = []
    for base in (a, b):
        for fmt, expected in (("pdf", pdf_sha), ("csv", csv_sha)):
            response = browser.get(base, f"/reports/{report_id}/{fmt}/")
            found.append(response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == expected)
    return Step("Report downloads from A and B", all(found), f"{sum(found)} of 4 downloads match the stored checksum")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="evolve_two")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    work = ROOT / "var" / "bench" / "two-instances"
    media = work / "private-media"  # one store both instances share, as a bucket or shared volume would be
    media.mkdir(parents=True, exist_ok=True)
    env = environment(args.database, media)
    prepare(args.database, env)
    code, reports = demo_state(env, "tm")
    steps: list[Step] = []
    with (
        gunicorn(env, free_port(), work / "a.log") as a,
        gunicorn(env, free_port(), work / "b.log") as b,
    ):
        manager = Browser()
        steps.append(sign_in_across(manager, a, b, "tm", code))
        steps.append(reports_across(manager, a, b, reports))
        referrer_code, _ = demo_state(env, "referrer")
        referrer = Browser()
        steps.append(sign_in_across(referrer, a, b, "referrer", referrer_code))
        steps.append(upload_across(referrer, a, b))
    print("## Two instances, one database (scale out)\n")
    print("Two gunicorn servers (production settings, two workers each) sharing one PostgreSQL, one Redis and one")
    print("private file store.\n")
    print("| step | result | detail |\n|---|---|---|")
    for step in steps:
        print(f"| {step.name} | {'PASS' if step.ok else 'FAIL'} | {step.detail} |")
    print()
    return 0 if all(step.ok for step in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
