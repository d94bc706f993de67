"""The in-process Redis stand-in of the embedded mode: fakeredis served over TCP."""
from __future__ import annotations

import threading

import redis
from fakeredis import TcpFakeServer
from fakeredis._clients._tcp_server import TCPFakeRequestHandler


class _ForgivingHandler(TCPFakeRequestHandler):
    """Answer a command error and keep the connection, as Redis does (fakeredis drops it).

    redis-py runs scripts as EVALSHA first and falls back to EVAL on NOSCRIPT, which RQ's scheduler
    relies on; a dropped connection there would stop the worker from ever taking a job.
    """

    def setup(self) -> None:
        super().setup()
        client = self.current_client
        if getattr(client, "_forgiving", False):
            return
        read = client.read_response

        def read_response(*args, **kwargs):
            try:
                return read(*args, **kwargs)
            except redis.exceptions.ResponseError as exc:
                return exc

        client.read_response = read_response
        client._forgiving = True


def start_standin(port: int, host: str = "127.0.0.1") -> TcpFakeServer:
    """Serve a fake Redis on host:port from a daemon thread and return the server."""
    server = TcpFakeServer((host, port), server_type="redis")
    server.RequestHandlerClass = _ForgivingHandler
    server.daemon_threads = True  # an open client connection must not keep the process alive
    threading.Thread(target=server.serve_forever, daemon=True, name="redis-standin").start()
    return server
