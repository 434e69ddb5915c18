"""Baseline extractors shipped with eventgold."""
