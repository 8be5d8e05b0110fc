"""Serve a sandbox WSGI app on loopback, in a background thread (tests) or in the foreground."""

import socket
import threading
from dataclasses import dataclass

from werkzeug.serving import make_server


def free_port(host="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


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
