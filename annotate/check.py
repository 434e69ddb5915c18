"""Check a project before pulling: which submitted annotations pull will not take whole.

`check_project` reads the project's full export and converts and validates every submitted
annotation exactly as pull does (`annotate.pull.task_to_pulled`), without writing anything.
Each finding is an annotation pull would reject, or a relation pull would leave out of a kept
annotation, with its located reasons and the link that opens the task in Label Studio, where
the annotator or the lead fixes it before the pull.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.exporting import start_export
from eventgold.annotate.labelstudio.project import project_config_differences, require_project
from eventgold.annotate.labelstudio.tasks import task_link
from eventgold.annotate.labelstudio.users import user_names
from eventgold.annotate.pull import task_to_pulled
from eventgold.problems import Problem
from eventgold.progress import Progress, Steps
from eventgold.schema import Schema

REJECTED = "rejected"  # pull rejects the whole annotation
RELATION_DROPPED = "relation-dropped"  # pull keeps the annotation without this relation


@dataclass(frozen=True, slots=True)
class Finding:
    """One submitted annotation (or one of its relations) that will not pass as it is."""

    kind: str  # REJECTED or RELATION_DROPPED
    task_id: int
    doc_id: str
    annotation_id: int | None
    annotator: str
    link: str  # opens the task in Label Studio
    what: str  # "annotation 12", or the relation: "KILLED 'IS-K' -> 'civilians'"
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class CheckReport:
    project_id: int
    tasks: int
    annotations: int  # submitted (not cancelled) annotations read
    findings: tuple[Finding, ...]
    # How the project's labels differ from the schema's (`project_config_differences`), which
    # is why every annotation with a label the schema lacks is a finding.
    config_differences: tuple[str, ...] = ()

    @property
    def rejected(self) -> int:
        return sum(f.kind == REJECTED for f in self.findings)

    @property
    def relations_dropped(self) -> int:
        return sum(f.kind == RELATION_DROPPED for f in self.findings)


def check_project(session: Session, *, project_title: str, schema: Schema) -> Steps[CheckReport]:
    """Yield progress while reading the export; return what pull would not take whole."""
    project = require_project(session, project_title)
    differences = project_config_differences(session, project, schema)  # listed: no request
    names = user_names(session)
    export = start_export(session, project.id)
    findings: list[Finding] = []
    tasks = annotations = 0
    with contextlib.closing(export):
        for task in export.tasks():
            pulled = task_to_pulled(task, schema=schema, emails=names)
            tasks += 1
            annotations += len(pulled.annotations) + len(pulled.rejects)
            link = task_link(session.url, project.id, pulled.task_id)
            for r in pulled.rejects:
                findings.append(
                    Finding(
                        REJECTED,
                        r.task_id,
                        r.doc_id,
                        r.annotation_id,
                        r.annotator,
                        link,
                        f"annotation {r.annotation_id}",
                        r.problems,
                    )
                )
            for d in pulled.dropped:
                findings.append(
                    Finding(
                        RELATION_DROPPED,
                        d.task_id,
                        d.doc_id,
                        d.annotation_id,
                        d.annotator,
                        link,
                        d.relation.describe(),
                        d.problems,
                    )
                )
            if tasks % 100 == 0:
                yield Progress("check", tasks, export.total)
    yield Progress("check", tasks, tasks)
    return CheckReport(project.id, tasks, annotations, tuple(findings), tuple(differences))
