"""Lie-fi: one bar of signal between Chromium and the app, for tests and benchmarks.

`LieFiProxy` is a small asyncio TCP relay on 127.0.0.1, run in a background thread.
Point the browser at `proxy.url` and it reaches the app at `target_port` through it:

    with lie_fi(server_port) as proxy:
        context = browser.new_context(base_url=proxy.url, ...)
        proxy.set_mode("stalled")   # from the test's thread, at any moment

Modes (`set_mode` changes them at once, for connections already open too):

- "good": bytes pass both ways as they come.
- "slow": every chunk going to the server is held `slow_seconds` (from when the proxy
  read it) before it is passed on, in order per connection; answers pass at once. So
  every request takes at least `slow_seconds`.
- "stalled": new connections are still accepted and connected to the server, but
  nothing moves either way: data is held, and so is the end of a connection (a close,
  or a reset) in both directions. A server closing an idle keep-alive connection must
  not reach the browser, or `fetch` fails after a few seconds, which it never does on a
  real one-bar connection (TESTING.md).

Leaving "stalled" (for "good" or "slow") delivers everything held, in order, closes and
resets included, as TCP does when the signal returns: a request the browser has given
up on can still reach the server late. That is deliberate; tests rely on it.

Memory is bounded: each direction of a connection holds at most HOLD_CHUNKS chunks of
at most CHUNK_BYTES (about 4 MiB); beyond that the proxy stops reading, and the sender's
kernel buffers fill as on a real link. At most MAX_CONNECTIONS are open at once; more
are refused (closed at once). `stop()` closes every connection and ends every task.
"""
import asyncio
import contextlib
import socket
import threading

MODES = ("good", "slow", "stalled")
CHUNK_BYTES = 64 * 1024
HOLD_CHUNKS = 64
MAX_CONNECTIONS = 1024
START_TIMEOUT = 10  # seconds
CALL_TIMEOUT = 10  # seconds for a call into the proxy's thread (set_mode, stop)

_EOF = "eof"  # the sender closed its side (FIN)
_RESET = "reset"  # the sender's side broke (RST or another socket error)


class _Reset(Exception):  # noqa: N818 - a signal inside one connection, not an error
    """A reset was delivered (or the receiver went away): the connection is over."""


class LieFiProxy:
    """A TCP relay from 127.0.0.1:`port` to 127.0.0.1:`target_port` with a network mode."""

    def __init__(self, target_port, slow_seconds=1.5, target_host="127.0.0.1"):
        self.target_host = target_host
        self.target_port = target_port
        self.slow_seconds = slow_seconds
        self.port = None
        self.url = None
        self.connections = 0  # accepted so far
        self.bytes_to_server = 0  # passed on so far
        self.bytes_to_client = 0
        self._mode = "good"
        self._held = 0  # bytes read and not yet passed on, all connections
        self._loop = None
        self._thread = None
        self._listener = None  # the listening socket
        self._changed = None  # an asyncio.Event set (and replaced) on every mode change
        self._links = set()  # the task serving each open connection
        # Every accepted socket until its connection is over: stop() closes any left (a
        # connection accepted as the proxy stops, whose task never ran).
        self._accepted = set()

    # The test's side (any thread) ------------------------------------------------------

    @property
    def mode(self):
        return self._mode

    def held_bytes(self):
        """Bytes the proxy has read and not passed on yet (all connections)."""
        return self._held

    def start(self):
        """Listen on 127.0.0.1 (a free port) in a background thread; returns self."""
        if self._thread is not None:
            raise RuntimeError("this proxy was already started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="lie-fi", daemon=True)
        self._thread.start()
        try:
            self.port = self._call(self._listen(), START_TIMEOUT)
        except BaseException:
            self._end_loop()
            raise
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self):
        """Close every connection, end every task, and the thread. Safe to call twice."""
        if self._thread is None or not self._thread.is_alive():
            return
        try:
            self._call(self._shutdown(), CALL_TIMEOUT)
        finally:
            self._end_loop()

    def set_mode(self, mode):
        """Switch to "good", "slow" or "stalled"; in effect for every byte read after it."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        if self._thread is None or not self._thread.is_alive():
            self._mode = mode
        elif threading.current_thread() is self._thread:
            self._apply(mode)
        else:
            self._call(self._apply_soon(mode), CALL_TIMEOUT)

    def __enter__(self):
        return self if self._thread else self.start()

    def __exit__(self, *exc):
        self.stop()

    def _call(self, coroutine, timeout):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _end_loop(self):
        loop, thread = self._loop, self._thread
        if loop.is_closed():
            return
        # The executor is shut down on the proxy's own thread: the caller's thread may
        # be running an event loop of its own (Playwright's sync API does).
        self._call(loop.shutdown_default_executor(), CALL_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CALL_TIMEOUT)
        if thread.is_alive():
            raise RuntimeError("the lie-fi proxy's thread did not stop")
        loop.close()

    # The proxy's thread ------------------------------------------------------------------

    async def _listen(self):
        # A listening socket of its own rather than asyncio.start_server: Python 3.11's
        # Server.close() drops (unclosed) a connection accepted but not yet handed over.
        self._changed = asyncio.Event()
        listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        listener.setblocking(False)
        self._listener = listener
        asyncio.get_running_loop().add_reader(listener, self._accept)
        return listener.getsockname()[1]

    def _accept(self):
        # A callback, not a task: an accepted socket is in _accepted at once, so nothing
        # stop() cancels can drop it.
        try:
            conn, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        conn.setblocking(False)
        self._accepted.add(conn)
        asyncio.get_running_loop().create_task(self._serve(conn))

    async def _apply_soon(self, mode):
        self._apply(mode)

    def _apply(self, mode):
        self._mode = mode
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _shutdown(self):
        asyncio.get_running_loop().remove_reader(self._listener)
        self._listener.close()
        # Every other task: the connections' and any not started yet.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        for conn in self._accepted:
            conn.close()
        self._accepted.clear()
        # Let the aborted transports' close callbacks run before the loop stops.
        for _ in range(3):
            await asyncio.sleep(0)

    async def _serve(self, conn):
        task = asyncio.current_task()
        if len(self._links) >= MAX_CONNECTIONS:
            self._accepted.discard(conn)
            conn.close()
            return
        self._links.add(task)
        self.connections += 1
        client_writer = server_writer = None
        try:
            client_reader, client_writer = await asyncio.open_connection(
                sock=conn, limit=CHUNK_BYTES)
            server_reader, server_writer = await asyncio.open_connection(
                self.target_host, self.target_port, limit=CHUNK_BYTES)
            await self._relay(client_reader, client_writer, server_reader, server_writer)
        except (OSError, _Reset):
            pass  # refused upstream, reset, or the other side went away: both ends go
        except asyncio.CancelledError:
            pass  # stop(): end quietly (asyncio logs a handler that ends cancelled)
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    writer.transport.abort()
            conn.close()  # closed already by its transport, unless it never had one
            self._accepted.discard(conn)
            self._links.discard(task)

    async def _relay(self, client_reader, client_writer, server_reader, server_writer):
        """Pump both directions until each has delivered its end, then close both sockets."""
        up = asyncio.Queue(HOLD_CHUNKS)
        down = asyncio.Queue(HOLD_CHUNKS)
        loop = asyncio.get_running_loop()
        readers = [loop.create_task(self._read(client_reader, up)),
                   loop.create_task(self._read(server_reader, down))]
        writers = [loop.create_task(self._write(up, server_writer, to_server=True)),
                   loop.create_task(self._write(down, client_writer, to_server=False))]
        try:
            await asyncio.gather(*writers)
            for writer in (client_writer, server_writer):
                writer.close()
            for writer in (client_writer, server_writer):
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        finally:
            for task in readers + writers:
                task.cancel()
            await asyncio.gather(*readers, *writers, return_exceptions=True)
            for queue in (up, down):  # what was held and never delivered
                while not queue.empty():
                    _, item = queue.get_nowait()
                    if isinstance(item, bytes):
                        self._held -= len(item)

    async def _read(self, reader, queue):
        """Read chunks as they come (stamped with when) until the end; hold them in `queue`."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await reader.read(CHUNK_BYTES)
            except OSError:
                await queue.put((loop.time(), _RESET))
                return
            if not chunk:
                await queue.put((loop.time(), _EOF))
                return
            self._held += len(chunk)
            try:
                await queue.put((loop.time(), chunk))
            except asyncio.CancelledError:
                self._held -= len(chunk)
                raise

    async def _write(self, queue, writer, to_server):
        """Pass each held chunk on when the mode lets it, then the end of the connection."""
        holding = 0  # bytes taken from the queue and not passed on yet
        try:
            while True:
                arrived, item = await queue.get()
                holding = len(item) if isinstance(item, bytes) else 0
                await self._gate(arrived, to_server)
                if item == _EOF:
                    if writer.can_write_eof():
                        writer.write_eof()
                    else:
                        writer.close()
                    return
                if item == _RESET:
                    raise _Reset()
                self._held -= holding
                holding = 0
                if to_server:
                    self.bytes_to_server += len(item)
                else:
                    self.bytes_to_client += len(item)
                writer.write(item)
                try:
                    await writer.drain()
                except OSError as error:
                    raise _Reset() from error
        finally:
            self._held -= holding

    async def _gate(self, arrived, to_server):
        """Return when something read at `arrived` may be passed on."""
        loop = asyncio.get_running_loop()
        while True:
            changed = self._changed
            mode = self._mode
            if mode == "good" or (mode == "slow" and not to_server):
                return
            if mode == "stalled":
                await changed.wait()
                continue
            wait = arrived + self.slow_seconds - loop.time()
            if wait <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)


@contextlib.contextmanager
def lie_fi(target_port, slow_seconds=1.5):
    """A started LieFiProxy in front of 127.0.0.1:`target_port`, stopped afterwards."""
    proxy = LieFiProxy(target_port, slow_seconds).start()
    try:
        yield proxy
    finally:
        proxy.stop()
