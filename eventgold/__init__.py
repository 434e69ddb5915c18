"""eventgold: gold datasets for conflict-event extraction from news, and their scoring.

The public API is the record types, the schema, reading and writing records, and validation::

    from eventgold import Document, load_schema, read_documents

Offsets follow the one convention stated in `eventgold.documents`. The Label Studio round
trip lives in `eventgold.annotate`, the gold dataset in `eventgold.dataset`, and scoring in
`eventgold.eval` (``from eventgold.eval.evaluate import evaluate``).
"""

from eventgold.documents import Document, Entity, Relation, read_documents, write_documents
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema, load_schema
from eventgold.validate import validate_document

__all__ = [
    "Document",
    "Entity",
    "Problem",
    "ProblemsError",
    "Relation",
    "Schema",
    "load_schema",
    "read_documents",
    "validate_document",
    "write_documents",
]
