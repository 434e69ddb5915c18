"""The CLI tests of eval and compare use the scoring tests' gold and prediction fixtures."""

from tests.eval.conftest import gold_dir, jsonl, pred_file, schema  # noqa: F401
