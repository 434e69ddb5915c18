"""Running the app on uvicorn: in the foreground (`serve`), or in a thread (`running`)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn

from eventgold.annotate.backend.app import Backend, create_app
from eventgold.annotate.labelstudio.server import require_free_port


def serve(backend: Backend, *, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C); uvicorn's access log off, its errors on. A port that
    nothing can listen on is a `ServerError` (`server.require_free_port`), not uvicorn's log."""
    require_free_port(host, port)
    uvicorn.run(create_app(backend), host=host, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def running(
    backend: Backend, *, host: str = "127.0.0.1", port: int, timeout: float = 20.0
) -> Iterator[str]:
    """Serve in a background thread; yield the base URL once it accepts requests, stop after."""
    config = uvicorn.Config(
        create_app(backend), host=host, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="eventgold-backend", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the backend did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
