"""Serve feed documents over local HTTP, with ETag and Last-Modified like the real feeds."""

from __future__ import annotations

import hashlib
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FeedServer:
    """A tiny HTTP server whose documents can be replaced while it runs."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._docs: dict[str, tuple[bytes, str, str, str]] = {}
        self._lock = threading.Lock()
        self.first_served: dict[str, float] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    doc = server._docs.get(self.path.split("?", 1)[0])
                if doc is None:
                    self.send_error(404)
                    return
                body, ctype, etag, modified = doc
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(body)
                server.first_served.setdefault(etag, time.time())

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def put(
        self, path: str, body: bytes, content_type: str = "application/rss+xml; charset=utf-8"
    ) -> str:
        """Publish (or replace) a document; return its URL."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        with self._lock:
            self._docs[path] = (body, content_type, etag, formatdate(usegmt=True))
        return self.base_url + path

    def etag(self, path: str) -> str:
        """Return the ETag of the document now served at `path`."""
        with self._lock:
            return self._docs[path][2]

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
