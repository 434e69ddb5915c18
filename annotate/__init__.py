"""eventgold: gold datasets for conflict-event extraction, and their scoring."""
