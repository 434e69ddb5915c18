"""A connected ML backend's predictions, as the annotator sees them when a task opens (issue 21).

The backend (the rules, on uvicorn in a thread) is connected to a project of a Label Studio
that may call 127.0.0.1; the task is opened in headless Chromium with no stored predictions,
so what is drawn came from the backend at that moment.
"""

from __future__ import annotations

import time

import pytest

from eventgold.annotate.backend.build import build_backend
from eventgold.annotate.backend.connect import connect_backend
from eventgold.annotate.backend.serving import running
from eventgold.annotate.labelstudio.connection import connect
from eventgold.annotate.labelstudio.server import free_port
from eventgold.annotate.push import push
from eventgold.documents import Document
from eventgold.progress import drain
from eventgold.schema import load_schema

from ..conftest import TEST_CREDS
from . import labeling as ui

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio]
SCHEMA = load_schema()
TEXT = "Gunmen killed five villagers in Kabul on Friday, officials said."


def test_a_connected_backends_suggestions_appear_when_a_task_opens(ml_server, browser) -> None:
    title = f"browser-backend-{time.time_ns() % 10**9}"
    with connect(url=ml_server.url, api_key=TEST_CREDS.token) as session:
        doc = Document("d-backend", TEXT, title="Gunmen kill five villagers")
        report = drain(push(session, project_title=title, documents=[doc], schema=SCHEMA))
        assert report.imported == 1 and report.predictions_added == 0
        backend = build_backend("rules", schema=SCHEMA)
        with running(backend, port=free_port()) as url:
            connect_backend(session, project_title=title, url=url)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            try:
                page = context.new_page()
                ui.log_in(page, ml_server.url, TEST_CREDS.username, TEST_CREDS.password)
                ui.open_task(page, ml_server.url, report.project_id)
                ui.wait_for_regions(page, 2)
                drawn = {r.inner_text().strip() for r in page.locator(ui.REGION).all()}
            finally:
                context.close()
            current = backend.holder.current
    # The page draws exactly what the served model finds in the text, as version rules-1.
    expected = {e.text for e in current.served.predict(doc).entities}
    assert drawn == expected and {"Gunmen", "Kabul"} <= drawn
    assert current.model_version == "rules-1"
