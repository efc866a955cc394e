"""A real HTTP server on 127.0.0.1 (port 0) standing in for a chat-completions API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class FakeAPI:
    """What the server answers (`respond(handler)`) and what it was asked."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    respond: Callable[[BaseHTTPRequestHandler], None] = lambda handler: None
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, content: Any, status: int = 200) -> None:
        self.answer_raw(json.dumps({"choices": [{"message": {"content": content}}]}), status)

    def answer_raw(self, body: str | bytes, status: int = 200) -> None:
        data = body.encode() if isinstance(body, str) else body

        def respond(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)

        self.respond = respond


@pytest.fixture
def fake_api() -> Iterator[FakeAPI]:
    api = FakeAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            api.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(self.rfile.read(length) or b"{}"),
                }
            )
            api.respond(self)

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield api
    api.release.set()  # let a deliberately slow handler finish
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
