"""The way out of a worker's network namespace: the embedded Kinesis, and nothing else.

Where the worker has a network namespace of its own, learner code sees a loopback with no
other grading on it. The grader's Kinesis listens, besides its TCP port outside, on a unix
socket in the worker's own folder (``messages.KINESIS_SOCKET``); inside the namespace, the
bridge listens on 127.0.0.1 at the port of the endpoint URL and carries each connection,
byte for byte, over a connection of its own to that socket. The server still tells the
connections apart (one upstream connection for each), so each keeps its own clock.

The bridge runs, in one thread, in the worker's outer process: the one that made the namespaces and waits
for pid 1 of the new pid namespace. It is in the network and mount namespaces but outside
the pid namespace, so the sweeps after each run (which kill everything in that pid
namespace) never reach it, and learner code can neither see nor signal it. It dies with the
worker.
"""

from __future__ import annotations

import fcntl
import os
import selectors
import socket
import struct

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
CHUNK = 1 << 16


def loopback_up() -> None:
    """Bring up ``lo`` in a new network namespace (it starts down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(probe.fileno(), SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def run(port_source: int, upstream: str, worker: int) -> None:
    """Serve until the process ``worker`` (pid 1 of the new pid namespace) ends.

    One thread only: a process that made a new pid namespace cannot start threads. The port
    comes on the pipe ``port_source`` (the worker writes it once the endpoint is known); then
    each connection to it is carried over to the unix socket ``upstream``. A side that does not
    read stalls the bridge only until its run is stopped (the bridge serves one worker)."""
    folder, name = os.path.split(upstream)
    held = os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    upstream = f"/proc/self/fd/{held}/{name}"  # reached through its folder: a unix socket's path is short
    watch = selectors.DefaultSelector()
    worker_ended = os.pidfd_open(worker)
    watch.register(worker_ended, selectors.EVENT_READ, "worker")
    watch.register(port_source, selectors.EVENT_READ, "port")
    peers: dict[socket.socket, socket.socket] = {}
    while True:
        for key, _ in watch.select():
            if key.data == "worker":
                return
            if key.data == "port":
                watch.unregister(port_source)
                listener = _listen(port_source)
                if listener is not None:
                    watch.register(listener, selectors.EVENT_READ, "listener")
            elif key.data == "listener":
                _accept(key.fileobj, upstream, watch, peers)  # type: ignore[arg-type]
            else:
                _forward(key.fileobj, watch, peers)  # type: ignore[arg-type]


def _listen(port_source: int) -> socket.socket | None:
    try:
        port = int(os.read(port_source, 64).decode("ascii", "replace").strip())
    except (OSError, ValueError):
        return None
    finally:
        os.close(port_source)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    return listener


def _accept(
    listener: socket.socket, upstream: str, watch: selectors.BaseSelector, peers: dict[socket.socket, socket.socket]
) -> None:
    try:
        inner, _ = listener.accept()
    except OSError:
        return
    outer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        outer.connect(upstream)
    except OSError:
        inner.close()
        outer.close()
        return
    inner.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    peers[inner], peers[outer] = outer, inner
    for side in (inner, outer):
        watch.register(side, selectors.EVENT_READ, "peer")


def _forward(source: socket.socket, watch: selectors.BaseSelector, peers: dict[socket.socket, socket.socket]) -> None:
    """Carry what ``source`` has to its peer; at its end, or on an error, close both."""
    target = peers.get(source)
    if target is None:
        return
    try:
        data = source.recv(CHUNK)
        if data:
            target.sendall(data)
            return
    except OSError:
        pass
    for side in (source, target):
        peers.pop(side, None)
        watch.unregister(side)
        side.close()
