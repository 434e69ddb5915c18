"""The browser: the system Chromium, driven by Playwright, one per run.

`./dev test` installs Chromium from the system packages when it is missing (scripts/
chromium.sh). Without it these tests skip, unless EVENTGOLD_REQUIRE_BROWSER is set (CI, by
.ci/run), where a missing browser or Playwright fails them instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from .labeling import REQUIRE_ENV, chromium_path, launched


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so the browser is required)", pytrace=False)
    pytest.skip(f"{reason}; `./dev test` installs Chromium (scripts/chromium.sh)")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        _unavailable("no Chromium found (chromium on PATH, or EVENTGOLD_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    return path


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    with launched(chromium) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()
