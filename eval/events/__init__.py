"""Events: rows of who attacked whom, where, how many were killed and who condemned it,
assembled from a document's spans and relations by the schema's ``events:`` section, and
their scoring. See docs/events.md."""
