"""Serve a sandbox WSGI app on loopback, in a background thread (tests) or in the foreground."""

import random
import socket
import threading
from dataclasses import dataclass

from werkzeug.serving import make_server


_handed_out = set()


def _ephemeral_low(default=32768):
    try:
        return int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def free_port(host="127.0.0.1"):
    """A port that is free now and stays free for the child process that will bind it later.

    Not one the kernel picked (`bind(0)`): those come from the ephemeral range, which the kernel
    also hands to every outgoing connection (to PostgreSQL, Redis, ...), so between choosing and
    binding another process could take it. Below that range only a listener can, and each port
    is handed out once per process."""
    low = _ephemeral_low()
    first, last = (15000, low - 1) if low > 16000 else (1024, 65535)
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randint(first, last)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port on {host} between {first} and {last}")


@dataclass
class RunningServer:
    url: str
    port: int
    server: object
    thread: threading.Thread
    app: object

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_in_thread(app, *, host="127.0.0.1", port=0):
    """Start `app` on host:port (0 = a free port); returns a RunningServer to stop later."""
    server = make_server(host, port, app, threaded=True)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{port}", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{port}", port=port, server=server, thread=thread, app=app)


def serve_forever(app, *, host="127.0.0.1", port):
    make_server(host, port, app, threaded=True).serve_forever()
