"""The lie-fi proxy (tests/lie_fi.py) behaves as browser tests and bench/network.py need.

No browser: a tiny TCP server in a thread stands in for the app, and plain sockets for
Chromium. Each mode is checked from both ends: what the server receives and when, and
what the client receives and when, closes included.
"""
import asyncio
import contextlib
import gc
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.lie_fi import CHUNK_BYTES, HOLD_CHUNKS, LieFiProxy, lie_fi

SLOW = 0.6  # seconds; the proxy's slow_seconds in these tests
QUIET = 0.5  # how long a stall must show nothing at all, not even a close
PROMPTLY = 0.4  # seconds within which something that passes at once arrives


class Connection:
    """What one connection to the Upstream received, and when."""

    def __init__(self):
        self.accepted_at = time.monotonic()
        self.data = bytearray()
        self.arrivals = []  # (time, bytes) per recv
        self.eof_at = None
        self.ended = threading.Event()


class Upstream:
    """A tiny TCP server on 127.0.0.1 standing in for the app.

    For each connection it sends `greeting`, then (with `close_first`) ends its own side
    at once, as a server closes an idle keep-alive connection; it records everything
    that arrives until the other side closes, echoing it back with `echo`.
    """

    def __init__(self, greeting=b"", close_first=False, echo=False):
        self.greeting, self.close_first, self.echo = greeting, close_first, echo
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        for thread in list(self._threads):
            thread.join(5)
        self.listener.close()

    def connection(self, index=0, timeout=2):
        """The index-th connection, waiting for it to be accepted."""
        deadline = time.monotonic() + timeout
        while len(self.connections) <= index:
            assert time.monotonic() < deadline, f"connection {index} never reached the server"
            time.sleep(0.01)
        return self.connections[index]

    def _accept(self):
        while not self._stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            record = Connection()
            self.connections.append(record)
            thread = threading.Thread(target=self._serve, args=(sock, record), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock, record):
        with sock:
            sock.settimeout(0.05)
            try:
                if self.greeting:
                    sock.sendall(self.greeting)
                if self.close_first:
                    sock.shutdown(socket.SHUT_WR)
                while not self._stopping.is_set():
                    try:
                        chunk = sock.recv(1 << 20)
                    except TimeoutError:
                        continue
                    if not chunk:
                        record.eof_at = time.monotonic()
                        break
                    record.arrivals.append((time.monotonic(), chunk))
                    record.data += chunk
                    if self.echo:
                        sock.sendall(chunk)
            except OSError:
                record.eof_at = record.eof_at or time.monotonic()
            finally:
                record.ended.set()


def connect(proxy, timeout=2):
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=timeout)


def receive(sock, count, timeout=2):
    """Up to `count` bytes, stopping early at the end of the stream."""
    sock.settimeout(timeout)
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def assert_silent(sock, seconds=QUIET):
    """Nothing arrives, and neither does the end of the stream, for `seconds`."""
    sock.settimeout(seconds)
    try:
        chunk = sock.recv(100)
    except TimeoutError:
        return
    raise AssertionError("the stall let the end of the connection through" if not chunk
                         else f"the stall let {chunk!r} through")


def wait_for(condition, what, timeout=2):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.01)


# Good ------------------------------------------------------------------------------------


def test_good_passes_bytes_both_ways_and_the_close_at_once():
    with Upstream(echo=True) as upstream, lie_fi(upstream.port) as proxy, connect(proxy) as sock:
        assert proxy.mode == "good"
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
        started = time.monotonic()
        sock.sendall(b"ping")
        assert receive(sock, 4) == b"ping"
        assert time.monotonic() - started < PROMPTLY
        sock.shutdown(socket.SHUT_WR)
        assert receive(sock, 1) == b"", "the server's close never came back"
        assert upstream.connection().eof_at is not None


# Slow ------------------------------------------------------------------------------------


def test_slow_holds_what_goes_to_the_server_in_order_and_not_the_answers():
    with Upstream(greeting=b"hello") as upstream, lie_fi(upstream.port, SLOW) as proxy:
        proxy.set_mode("slow")
        assert proxy.mode == "slow"
        with connect(proxy) as sock:
            started = time.monotonic()
            assert receive(sock, 5) == b"hello"
            assert time.monotonic() - started < PROMPTLY, "an answer was held in slow mode"
            first = time.monotonic()
            sock.sendall(b"one ")
            time.sleep(0.1)
            second = time.monotonic()
            sock.sendall(b"two")
            record = upstream.connection()
            wait_for(lambda: record.data == b"one two", "both chunks arrived", SLOW + 2)
            first_at, last_at = record.arrivals[0][0], record.arrivals[-1][0]
            assert first_at - first >= SLOW, f"the first chunk took {first_at - first:.2f} s"
            assert last_at - second >= SLOW, f"the second chunk took {last_at - second:.2f} s"


def test_slow_holds_the_end_of_a_request_too():
    with Upstream() as upstream, lie_fi(upstream.port, SLOW) as proxy:
        proxy.set_mode("slow")
        with connect(proxy) as sock:
            sock.sendall(b"last words")
            sent = time.monotonic()
            sock.shutdown(socket.SHUT_WR)
            record = upstream.connection()
            assert record.ended.wait(SLOW + 2)
            assert record.data == b"last words"
            assert record.eof_at - sent >= SLOW


# Stalled ---------------------------------------------------------------------------------


def test_stalled_accepts_connects_upstream_then_moves_nothing_not_even_a_close():
    # The server greets and ends its side at once, as it closes an idle keep-alive
    # connection; the client sends a request and ends its side too.
    with (Upstream(greeting=b"hello", close_first=True) as upstream,
          lie_fi(upstream.port) as proxy):
        proxy.set_mode("stalled")
        with connect(proxy) as sock:
            record = upstream.connection()  # connected upstream although stalled
            sock.sendall(b"POST /checkins")
            sock.shutdown(socket.SHUT_WR)
            assert_silent(sock)
            assert record.data == b"", "the stall let the request through"
            assert record.eof_at is None, "the stall let the client's close through"
            assert proxy.held_bytes() == len(b"hello") + len(b"POST /checkins")

            proxy.set_mode("good")
            assert proxy.mode == "good"
            assert receive(sock, 100) == b"hello", "the held answer or its close went missing"
            assert record.ended.wait(2), "the held close never reached the server"
            assert record.data == b"POST /checkins"
            assert proxy.held_bytes() == 0


def test_stalled_holds_a_bare_close_both_ways():
    # No data ahead of either close: the server ends an idle keep-alive connection, and
    # the browser gives up on one before it sent anything.
    with Upstream(close_first=True) as upstream, lie_fi(upstream.port) as proxy:
        proxy.set_mode("stalled")
        with connect(proxy) as sock:
            record = upstream.connection()
            assert_silent(sock)
            sock.shutdown(socket.SHUT_WR)
            time.sleep(QUIET)
            assert record.eof_at is None, "the stall let the client's close through"
            proxy.set_mode("good")
            assert receive(sock, 1) == b"", "the server's held close never came"
            assert record.ended.wait(2), "the client's held close never reached the server"


def test_a_stall_holds_connections_that_were_already_open():
    with Upstream(echo=True) as upstream, lie_fi(upstream.port) as proxy, connect(proxy) as sock:
        sock.sendall(b"before")
        assert receive(sock, 6) == b"before"
        proxy.set_mode("stalled")
        sock.sendall(b"during")
        assert_silent(sock)
        assert upstream.connection().data == b"before"
        proxy.set_mode("good")
        assert receive(sock, 6) == b"during"


def test_leaving_a_stall_for_slow_delivers_what_was_held_then_stays_slow():
    with Upstream() as upstream, lie_fi(upstream.port, SLOW) as proxy:
        proxy.set_mode("stalled")
        with connect(proxy) as sock:
            sock.sendall(b"held ")
            time.sleep(SLOW + 0.1)  # held for longer than a slow network would
            record = upstream.connection()
            assert record.data == b""
            proxy.set_mode("slow")
            wait_for(lambda: record.data == b"held ", "the held chunk arrived", PROMPTLY)
            sent = time.monotonic()
            sock.sendall(b"later")
            wait_for(lambda: record.data == b"held later", "the next chunk arrived", SLOW + 2)
            assert record.arrivals[-1][0] - sent >= SLOW


def test_a_stall_holds_a_bounded_amount_and_loses_nothing():
    with Upstream() as upstream, lie_fi(upstream.port) as proxy:
        proxy.set_mode("stalled")
        pattern = bytes(range(256)) * 4096  # 1 MiB
        sent = 0
        with connect(proxy) as sock:
            sock.setblocking(False)
            deadline = time.monotonic() + 10
            blocked_since = None
            # Send until the sender has been blocked a while: the proxy stopped reading.
            while time.monotonic() < deadline and sent < 64 * len(pattern):
                try:
                    sent += sock.send(pattern[sent % len(pattern):])
                    blocked_since = None
                except BlockingIOError:
                    blocked_since = blocked_since or time.monotonic()
                    if time.monotonic() - blocked_since > 0.3:
                        break
                    time.sleep(0.01)
            held = proxy.held_bytes()
            assert upstream.connection().data == b""
            assert 0 < held <= (HOLD_CHUNKS + 2) * CHUNK_BYTES, held
            assert sent > held, "the sender was never held back"

            proxy.set_mode("good")
            record = upstream.connection()
            wait_for(lambda: len(record.data) == sent, "everything held arrived", 10)
            expected = (pattern * (sent // len(pattern) + 1))[:sent]
            assert bytes(record.data) == expected, "held bytes arrived out of order or changed"


# The proxy itself ------------------------------------------------------------------------


def test_stop_closes_every_connection_and_ends_its_thread(caplog):
    with Upstream() as upstream:
        proxy = LieFiProxy(upstream.port).start()
        proxy.set_mode("stalled")
        socks = [connect(proxy) for _ in range(3)]
        try:
            for index in range(3):
                upstream.connection(index)
            proxy.stop()
            for sock in socks:
                with contextlib.suppress(ConnectionResetError):  # a reset ends it too
                    assert receive(sock, 1) == b""
            for index in range(3):
                assert upstream.connection(index).ended.wait(2), "a server side stayed open"
            assert not proxy._thread.is_alive()
            assert proxy._loop.is_closed()
            with pytest.raises(ConnectionRefusedError):
                connect(proxy).close()
            proxy.stop()  # a second stop does nothing
            assert not [record for record in caplog.records if record.name == "asyncio"]
        finally:
            for sock in socks:
                sock.close()


def test_stop_as_connections_arrive_leaves_no_socket_open():
    # A connection accepted in the same moment as stop() was once dropped unclosed
    # (Python 3.11's asyncio Server), which warnings-as-errors turned into a failed test.
    with Upstream(echo=True) as upstream:
        for _ in range(10):
            proxy = LieFiProxy(upstream.port).start()
            socks = [connect(proxy) for _ in range(20)]
            proxy.stop()
            for sock in socks:
                sock.close()
            gc.collect()  # an unclosed socket warns here, and the warning fails the test


def test_start_and_stop_work_from_a_thread_running_its_own_event_loop():
    # Playwright's sync API runs an asyncio loop on the test's thread.
    with Upstream(echo=True) as upstream:

        async def inside():
            proxy = LieFiProxy(upstream.port).start()
            with connect(proxy) as sock:
                sock.sendall(b"hi")
                assert receive(sock, 2) == b"hi"
            proxy.stop()
            return proxy

        # A thread of its own: the test's thread may already run one (the browser tests').
        with ThreadPoolExecutor(1) as pool:
            proxy = pool.submit(lambda: asyncio.run(inside())).result(10)
        assert not proxy._thread.is_alive()
        assert proxy._loop.is_closed()


def test_set_mode_is_safe_from_many_threads_and_checks_its_argument():
    with Upstream(echo=True) as upstream, lie_fi(upstream.port, SLOW) as proxy:
        with pytest.raises(ValueError, match="unknown mode"):
            proxy.set_mode("offline")

        def flip():
            for n in range(30):
                proxy.set_mode(("good", "slow", "stalled")[n % 3])

        threads = [threading.Thread(target=flip) for _ in range(4)]
        with connect(proxy) as sock:
            for thread in threads:
                thread.start()
            sock.sendall(b"through it all")
            for thread in threads:
                thread.join(10)
            proxy.set_mode("good")
            assert receive(sock, 14) == b"through it all"


def test_a_server_that_is_not_there_closes_the_connection():
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    with lie_fi(port) as proxy, connect(proxy) as sock, contextlib.suppress(ConnectionResetError):
        assert receive(sock, 1) == b""
