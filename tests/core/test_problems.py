from __future__ import annotations

import pickle

from eventgold.problems import Problem, ProblemsError


def test_problems_error_survives_pickling_with_its_problems() -> None:
    # multiprocessing sends exceptions pickled; the problems must not become characters.
    err = ProblemsError([Problem("task 3 / relation 1", "tail 'x' not found", "missing")], "bad")
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, ProblemsError)
    assert back.problems == err.problems and back.summary == "bad"
    assert str(back) == "bad\n  - task 3 / relation 1: tail 'x' not found"
