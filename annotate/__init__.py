"""The Label Studio round trip: corpus, push, pull, agreement and adjudication."""
