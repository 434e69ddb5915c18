import eventgold
from eventgold import (
    Document,
    Entity,
    Relation,
    load_schema,
    read_documents,
    validate_document,
    write_documents,
)


def test_the_public_api_round_trips_a_document_and_validates_it(tmp_path) -> None:
    schema = load_schema()
    doc = Document(
        "d1",
        "Gunmen killed 3 villagers.",
        entities=(
            Entity("T1", 0, 6, "ATTACKER", "Gunmen"),
            Entity("T2", 14, 25, "VICTIM_GROUP", "3 villagers"),
        ),
        relations=(Relation("T1", "T2", "KILLED"),),
    )
    assert write_documents(tmp_path / "d.jsonl", [doc]) == 1
    assert list(read_documents(tmp_path / "d.jsonl")) == [doc]
    assert validate_document(doc, schema) == []
    assert sorted(eventgold.__all__) == eventgold.__all__  # one short, sorted list


def test_the_core_imports_no_label_studio_code() -> None:
    import subprocess
    import sys

    code = "import sys, eventgold, eventgold.eval.evaluate; print(any(m.startswith(('label_studio', 'eventgold.annotate')) for m in sys.modules))"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
