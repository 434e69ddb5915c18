"""Driving Label Studio 1.23.2's pages in a real browser, as an annotator does.

The selectors are the ones a browser check found to work on 1.23.2 (issue 19). Shared by the
browser tests and the browser benchmark (`bench/bench_browser.py`), which times the same steps.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_ENV = "EVENTGOLD_CHROMIUM"  # another Chromium than the system one
REQUIRE_ENV = "EVENTGOLD_REQUIRE_BROWSER"  # CI: a missing browser fails instead of skipping
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
TIMEOUT_MS = 60_000

# Selectors (Label Studio 1.23.2).
LOGIN_EMAIL, LOGIN_PASSWORD, LOGIN_BUTTON = "input#email", "input#password", "button.login-button"
TASK_ROW = ".lsf-table__row-wrapper"
TEXT_LINE = ".lsf-richtext__line"
REGION = ".htx-highlight"
LABEL = ".lsf-labels .lsf-label"
LABEL_SELECTED = "lsf-label_selected"
RELATION_LABELS = "[aria-label='Show Relation Labels']"
RELATION_META_BUTTON = ".lsf-relation-meta button"
SUBMIT = "[aria-label='Submit current annotation']"
RELATIONS_TAB = ".lsf-panel-tabs__tab"
RELATION_ITEM = ".lsf-relations__item"
SELECT_POPUP = "[data-testid='select-popup']"
CLOSE_MODAL = "[aria-label='Close modal']"


def chromium_path() -> str | None:
    """The system Chromium (or $EVENTGOLD_CHROMIUM), None if there is none."""
    wanted = os.environ.get(CHROMIUM_ENV)
    if wanted:
        return wanted if Path(wanted).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def launched(executable: str) -> Iterator[Any]:
    """Playwright's Chromium driver on the system browser, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Timings:
    """Seconds per step of the annotator's path, for the benchmark (never asserted on)."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.steps[name] = round(time.perf_counter() - began, 3)


def log_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/user/login/")
    page.fill(LOGIN_EMAIL, email)
    page.fill(LOGIN_PASSWORD, password)
    with page.expect_navigation():
        page.click(LOGIN_BUTTON)
    if "/user/login" in page.url:
        raise AssertionError(f"login as {email} failed: still on {page.url}")


def open_stream(page: Any, url: str, project_id: int) -> None:
    """The project's task list, then "Label All Tasks": the labeling stream's first task."""
    page.goto(f"{url}/projects/{project_id}/data")
    page.wait_for_selector(TASK_ROW, timeout=TIMEOUT_MS)
    page.get_by_text("Label All Tasks").click()
    page.wait_for_selector(TEXT_LINE, timeout=TIMEOUT_MS)
    close_instructions(page)


def open_task(page: Any, url: str, project_id: int) -> None:
    """The project's task list, then its first task (e.g. one already submitted)."""
    page.goto(f"{url}/projects/{project_id}/data")
    page.wait_for_selector(TASK_ROW, timeout=TIMEOUT_MS)
    page.locator(TASK_ROW).first.click(position={"x": 60, "y": 12})  # the id, not an avatar
    page.wait_for_selector(TEXT_LINE, timeout=TIMEOUT_MS)


def close_instructions(page: Any) -> None:
    """The instructions open by themselves on a project that shows them; close them."""
    modal = page.locator(CLOSE_MODAL)
    if modal.count() and modal.first.is_visible():
        modal.first.click()


# Client rectangles of the `nth` occurrence of `needle` in the labeling text (its text nodes
# joined in document order, highlights included): [left, top, right, bottom] of the first and
# last character.
_RANGE_JS = """
([needle, nth]) => {
  const root = document.querySelector('.lsf-richtext') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let all = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, all.length]); all += walker.currentNode.data; }
  let at = -1;
  for (let i = 0; i <= nth; i++) { at = all.indexOf(needle, at + 1); if (at < 0) return null; }
  const locate = (pos) => {
    for (let i = nodes.length - 1; i >= 0; i--) if (nodes[i][1] <= pos) return [nodes[i][0], pos - nodes[i][1]];
  };
  const [sn, so] = locate(at); const [en, eo] = locate(at + needle.length - 1);
  const first = document.createRange(); first.setStart(sn, so); first.setEnd(sn, so + 1);
  const last = document.createRange(); last.setStart(en, eo); last.setEnd(en, eo + 1);
  const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
  return [a.left, a.top, a.bottom, b.right, b.top, b.bottom];
}
"""


def text_box(page: Any, needle: str, nth: int = 0) -> tuple[float, ...]:
    box = page.evaluate(_RANGE_JS, [needle, nth])
    if box is None:
        raise AssertionError(f"{needle!r} is not in the labeling text")
    return tuple(box)


def drag_over(page: Any, needle: str) -> None:
    """Select `needle` by pressing the mouse on its first character and releasing it on its
    last, as a person drags."""
    left, top, bottom, right, top2, bottom2 = text_box(page, needle)
    page.mouse.move(left + 1, (top + bottom) / 2)
    page.mouse.down()
    page.mouse.move((left + right) / 2, (top + bottom2) / 2, steps=5)
    page.mouse.move(right - 1, (top2 + bottom2) / 2, steps=5)
    page.mouse.up()


def double_click(page: Any, word: str) -> None:
    left, top, bottom, right, _, _ = text_box(page, word)
    page.mouse.dblclick((left + right) / 2, (top + bottom) / 2)


def label_button(page: Any, label: str) -> Any:
    """The label's button: exactly that label (ATTACK is not ATTACKER), its hotkey after it."""
    for button in page.locator(LABEL).all():
        if button.inner_text().split("\n")[0].strip() == label:
            return button
    raise AssertionError(f"no label button {label!r}")


def region(page: Any, text: str) -> Any:
    return page.locator(REGION).filter(has_text=text).first


def wait_for_regions(page: Any, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('{REGION}').length >= {count}", timeout=TIMEOUT_MS
    )


def submit(page: Any) -> tuple[int, dict[str, Any]]:
    """Submit the annotation; the status and body of its POST to /api/tasks/{id}/annotations."""

    def is_post(resp: Any) -> bool:
        return resp.request.method == "POST" and "/annotations" in resp.url

    with page.expect_response(is_post, timeout=TIMEOUT_MS) as answer:
        page.click(SUBMIT)
    resp = answer.value
    return resp.status, resp.json()


def selected_label(page: Any) -> str:
    """The label button now selected ("" if none)."""
    chosen = page.locator(f"{LABEL}.{LABEL_SELECTED}")
    return chosen.first.inner_text().split("\n")[0].strip() if chosen.count() else ""


def show_relations(page: Any) -> None:
    page.locator(RELATIONS_TAB, has_text="Relations").first.click()


def relation_count(page: Any) -> int:
    show_relations(page)
    return page.locator(RELATION_ITEM).count()


def label_relation(page: Any, index: int, picks: list[str]) -> list[str]:
    """Open the relation's labels and pick each of `picks` in turn; return the relation's
    label value after each pick (one value: the relation takes a single label)."""
    show_relations(page)
    item = page.locator(RELATION_ITEM).nth(index)
    item.hover()
    item.locator(RELATION_LABELS).click()
    trigger = page.locator(RELATION_META_BUTTON).first
    values = []
    for name in picks:
        # The list closes after a pick (a single-choice control); wait until it is gone.
        page.wait_for_selector(SELECT_POPUP, state="detached", timeout=TIMEOUT_MS)
        trigger.click()
        page.locator(f"[data-testid='select-option-{name}']").click()
        page.wait_for_function(
            f"document.querySelector(\"{RELATION_META_BUTTON}\").dataset.value === '{name}'",
            timeout=TIMEOUT_MS,
        )
        values.append(str(trigger.get_attribute("data-value")))
    return values


TEXT = "Gunmen 😀 killed five villagers in Kabul.\nOfficials in 𠀋 Herat condemned the attack."


@dataclass(frozen=True)
class Labeled:
    """What one labeling session saw and submitted."""

    seen_regions: list[str]  # the pre-annotations the task opened with
    seen_relations: int
    labels_after: dict[str, str]  # the label selected after each way of choosing one
    relation_values: list[str]  # the relation's label after each pick
    status: int  # of the annotation's POST
    submitted: dict[str, Any]


def label_task(
    page: Any, url: str, project_id: int, *, email: str, password: str, timings: Timings
) -> Labeled:
    """The annotator's path on a task of `TEXT` pre-annotated with ATTACKER "Gunmen" KILLED
    VICTIM_GROUP "five villagers": log in, Label All Tasks, LOCATION "Kabul" by hotkey and
    drag, ATTACK "attack" by button and double-click, KILLED from "attack" to "five villagers"
    (picking KILLED, CONDEMNS, KILLED in turn), submit."""
    with timings.step("login"):
        log_in(page, url, email, password)
    with timings.step("task_open"):
        open_stream(page, url, project_id)
        wait_for_regions(page, 2)
    seen = page.locator(REGION).all_inner_texts()
    arrows = relation_count(page)
    labels_after = {}
    with timings.step("first_region"):
        page.keyboard.press("3")
        labels_after["hotkey 3"] = selected_label(page)
        drag_over(page, "Kabul")
        wait_for_regions(page, 3)
    page.keyboard.press("Escape")  # else the button would relabel the new region
    label_button(page, "ATTACK").click()
    labels_after["button ATTACK"] = selected_label(page)
    double_click(page, "attack")
    wait_for_regions(page, 4)
    page.keyboard.press("Escape")
    region(page, "attack").click()
    page.keyboard.press("Alt+r")
    region(page, "five villagers").click()
    values = label_relation(page, 1, ["KILLED", "CONDEMNS", "KILLED"])
    page.keyboard.press("Escape")
    with timings.step("submit"):
        status, body = submit(page)
    return Labeled(seen, arrows, labels_after, values, status, body)


@dataclass(frozen=True)
class Prepared:
    project_id: int
    title: str
    email: str
    password: str
    model_version_set: bool
    predictions_added: int


def prepare(session: Any, *, title: str, email: str, secrets_dir: Path) -> Prepared:
    """A project holding one task of `TEXT`, pushed in the documented two steps (documents,
    then the model's predictions), and an annotator made by `eventgold users add`."""
    from eventgold.annotate.annotators import add_user
    from eventgold.annotate.push import push
    from eventgold.documents import Document, Entity, Relation
    from eventgold.progress import drain
    from eventgold.schema import load_schema

    def span(sub: str, label: str, eid: str) -> Entity:
        start = TEXT.index(sub)
        return Entity(eid, start, start + len(sub), label, sub)

    schema = load_schema()
    doc = Document("browser-1", TEXT, title="Gunmen kill five villagers")
    pred = doc.with_annotations(
        entities=(span("Gunmen", "ATTACKER", "p1"), span("five villagers", "VICTIM_GROUP", "p2")),
        relations=(Relation("p1", "p2", "KILLED"),),
    )
    first = drain(push(session, project_title=title, documents=[doc], schema=schema))
    second = drain(
        push(
            session,
            project_title=title,
            documents=[],
            schema=schema,
            predictions=[pred],
            model_version="rules-1",
        )
    )
    added = add_user(session, email=email, secrets_dir=secrets_dir, project_title=title)
    return Prepared(
        first.project_id,
        title,
        email,
        added.password,
        second.model_version_set,
        second.predictions_added,
    )
