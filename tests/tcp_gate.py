"""A TCP gate in front of the embedded broker that a test can shut: a network partition on demand.

Open, it forwards every connection to the broker. `close()` drops every connection and, until
`open()`, holds new ones without reading a byte: nothing a client sends after `close()` returns
can reach the broker. (Stopping the broker with SIGSTOP would not do: the kernel still accepts
the bytes into the stopped broker's socket buffers, and it acts on them once it resumes.)
The broker must advertise the gate's address, or clients would go round it after bootstrap.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

from tests.conftest import free_port


class TcpGate:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`upstream_port` while open."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._lock = threading.Lock()
        self._open = True
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True, name="gate-accept").start()

    def close(self) -> None:
        """Cut every connection; hold new ones, unread, until `open()`."""
        with self._lock:
            self._open = False
            self._drop()

    def open(self) -> None:
        """Forward again; connections held while closed are dropped (their clients reconnect)."""
        with self._lock:
            self._drop()
            self._open = True

    def shutdown(self) -> None:
        self._listener.close()
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # shut down
            with self._lock:
                self._sockets.add(client)
                if not self._open:
                    continue  # held: accepted, never read
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
                except OSError:  # the broker is not listening yet: its client retries
                    self._sockets.discard(client)
                    client.close()
                    continue
                self._sockets.add(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        for chunk in _chunks(source):
            with self._lock:
                if not self._open:
                    return  # read as the gate closed: dropped with its connection
                try:
                    sink.sendall(chunk)
                except OSError:
                    return


def _chunks(sock: socket.socket) -> Iterator[bytes]:
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        yield chunk
