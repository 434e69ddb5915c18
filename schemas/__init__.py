"""The shipped schema and its guidelines: package data, found by `eventgold.schema`."""
