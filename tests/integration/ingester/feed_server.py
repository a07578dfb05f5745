"""A local feed server whose next answer the test decides: a document, an error, or misbehaviour."""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """How to answer the next request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    behaviour: str = "normal"  # normal | reset | hang | trickle | lying-length | gzip
    etag: str | None = None


class FeedServer:
    """Serve `reply` at every path; remember the request headers it saw."""

    def __init__(self) -> None:
        self.reply = Reply()
        self.script: list[Reply] = []  # answered first, one per request, before `reply`
        self.requests: list[dict[str, str]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without this, Nagle and
                # delayed ACKs add 40 ms to every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(dict(self.headers))
                server.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/rss.xml"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def serve(self, body: bytes = b"", status: int = 200, **kwargs: object) -> None:
        self.reply = Reply(status=status, body=body, **kwargs)  # type: ignore[arg-type]

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        reply = self.script.pop(0) if self.script else self.reply
        if reply.behaviour == "reset":
            # SO_LINGER 0: close with a TCP RST, as a crashing proxy does.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()
            handler.close_connection = True
            return
        if reply.behaviour == "hang":
            self.release.wait(30)
            handler.close_connection = True
            return
        if reply.etag and handler.headers.get("If-None-Match") == reply.etag:
            handler.send_response(304)
            handler.send_header("ETag", reply.etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body = gzip.compress(reply.body) if reply.behaviour == "gzip" else reply.body
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.etag:
            handler.send_header("ETag", reply.etag)
        if reply.behaviour == "gzip":
            handler.send_header("Content-Encoding", "gzip")
        length = len(body) * 10 if reply.behaviour == "lying-length" else len(body)
        if "Content-Length" not in reply.headers:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        if reply.behaviour == "trickle":
            for index in range(len(body)):
                if self.release.is_set():
                    break
                handler.wfile.write(body[index : index + 1])
                handler.wfile.flush()
                time.sleep(0.05)
            handler.close_connection = True
            return
        handler.wfile.write(body)
        if reply.behaviour == "lying-length":
            handler.close_connection = True

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
