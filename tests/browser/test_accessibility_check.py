"""The accessibility check itself: every page in these tests passes it, so show that it can fail, and how."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page


@pytest.mark.browser
def test_the_axe_check_fails_on_a_serious_problem_and_names_it(page: Page, assert_accessible):
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="no-alt">'
        '<input type="text" id="no-label"></main></body></html>'
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "a page made to fail")
    message = str(failure.value)
    assert "image-alt (critical)" in message and "#no-alt" in message, message
    assert "label (critical)" in message and "#no-label" in message, message
