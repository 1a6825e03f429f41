"""Hostile input, shared by the fuzz tests (tests/security/test_fuzz_forms.py, tests/referrals/test_fuzz_steps.py):
what a careless paste, a hurried hand or an attacker sends, and a fingerprint of the database's content to show that a
refused post wrote nothing."""

from __future__ import annotations

from django import forms
from django.db import connection
from hypothesis import strategies as st

HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\u202e\u202d",
            "٣١",  # Arabic-Indic digits: str.isdigit() says yes
            "²",
            "9" * 40,
            "-1",
            "0",
            "1e309",
            "NaN",
            "2024-02-30",
            "2024",
            "0000",
            "1900",
            "1",
            "12",
            "31",
            "13",
            "10000",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "x" * 20_000,
            "00000000-0000-0000-0000-000000000000",
            "True",
            "on",
        ]
    ),
)


# A date's day, month and year boxes: numbers of every size (the year must have four digits to get as far as
# making a date), as well as the hostile text.
NUMBERISH = st.one_of(st.integers(min_value=-5, max_value=10**30).map(str), HOSTILE_TEXT)


def form_names(form: forms.BaseForm) -> dict[str, st.SearchStrategy[str]]:
    """Every name a browser would post for the form's fields (a date's day, month and year boxes each), with what to
    fill it with."""
    names: dict[str, st.SearchStrategy[str]] = {}
    for bound in form:
        widget = bound.field.widget
        if isinstance(widget, forms.MultiWidget):
            suffixes: list[str] = widget.widgets_names  # type: ignore[attr-defined]  # set by MultiWidget, not stubbed
            names.update({bound.html_name + suffix: NUMBERISH for suffix in suffixes})
        else:
            names[bound.html_name] = HOSTILE_TEXT
    return names


# Written by reading a page, signing in or failing to: not what a refused post must leave alone.
UNWATCHED = frozenset(
    {
        "audit_accesslogentry",
        "django_session",
        "django_admin_log",
        "axes_accessattempt",
        "axes_accesslog",
        "axes_accessfailurelog",
    }
)


def content_fingerprint() -> dict[str, tuple[int, int]]:
    """Every table's row count and a sum of its rows' hashes (order-free), in one statement: equal before and after
    a request means the request changed no row, added none and removed none (the access log and sessions aside)."""
    tables = [name for name in connection.introspection.table_names() if name not in UNWATCHED]
    sql = " UNION ALL ".join(
        f"SELECT '{name}', count(*), coalesce(sum(hashtextextended(t::text, 0)), 0) FROM \"{name}\" t"  # noqa: S608
        for name in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {name: (int(count), int(total)) for name, count, total in cursor.fetchall()}
