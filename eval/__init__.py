"""Scoring extraction models against the gold set."""
