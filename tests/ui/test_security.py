"""Security headers, production settings, and the rules that keep every page behind the gate."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_URL_NAMES = {
    "accounts:login",
    "accounts:signed-out",
    "accounts:password-reset",
    "accounts:password-reset-sent",
    "accounts:password-reset-confirm",
    "ui:accessibility",
    "healthz",
}


def test_every_response_carries_the_security_headers(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_has_inline_script_or_inline_style() -> None:
    offenders = []
    for template in [
        *ROOT.glob("templates/**/*.html"),
        *ROOT.glob("evolve/**/templates/**/*.html"),
        *ROOT.glob("*/templates/**/*.html"),
    ]:
        text = template.read_text()
        for marker in ("<script>", '<script type="text/javascript">', " onclick=", " onload=", ' style="'):
            if marker in text:
                offenders.append(f"{template.relative_to(ROOT)}: {marker.strip()}")
    assert offenders == []


def test_manage_check_deploy_is_clean_under_production_settings() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "evolve.settings.production",
        "SECRET_KEY": "a-long-random-production-like-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "evolve.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "evolve.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for() -> None:
    env = {**os.environ, "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "evolve.settings.production"}
    env.pop("DEBUG", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "False", result.stderr


def _url_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names.extend(_url_names(pattern, inner))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def test_only_the_sign_in_pages_the_statement_and_health_are_public(client: Client, db: None) -> None:
    from django.urls import NoReverseMatch, reverse

    checked = 0
    for name in _url_names(get_resolver()):
        if name.startswith("admin:") or name in PUBLIC_URL_NAMES:
            continue
        some_id = "00000000-0000-0000-0000-000000000001"
        for args in (
            [],
            [some_id],
            ["spoc"],
            [some_id, some_id],
            [some_id, "screen"],
            [some_id, 1, "pause"],
            [some_id, some_id, "record"],
        ):
            try:
                url = reverse(name, args=args)
                break
            except NoReverseMatch:
                continue
        else:
            raise AssertionError(f"could not build a URL for {name}")
        response = client.get(url)
        assert response.status_code in (302, 401, 403, 405), f"{name} answered {response.status_code} to a stranger"
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/") or "/admin/login/" in response["Location"]
        checked += 1
    assert checked >= 10


VIEW_MODULES = [
    *ROOT.glob("evolve/**/views.py"),
    *ROOT.glob("evolve/**/api.py"),
    *ROOT.glob("*/views.py"),
    *ROOT.glob("*/views/*.py"),
    *ROOT.glob("*/api.py"),
]


@pytest.mark.parametrize("module", VIEW_MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_views_never_query_models_directly(module: Path) -> None:
    """Views go through selectors, which go through the gate: `Model.objects` in a view would skip it."""
    tree = ast.parse(module.read_text())
    direct = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "objects"]
    assert direct == [], f"{module.name} uses .objects at lines {direct}"
