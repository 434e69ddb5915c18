"""The Label Studio ML backend: eventgold's models suggest, learn from submissions, order work.

`app.create_app` serves the protocol (`protocol`) with FastAPI; `models` holds the versioned
models and the score (`scoring`); `interactive` answers Auto-Annotation; `learning` validates
webhook submissions and retrains in a background thread; `connect` and `ordering` set a Label
Studio project up to use it; `curve` measures whether uncertainty order pays.
"""
