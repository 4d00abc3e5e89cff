"""The fan-out benchmark's load generator: worker processes, each driving a share of the clients.

A worker connects its clients (TCP_NODELAY, so that no Nagle delay of ours is measured) and
runs one epoll loop for all of them. The generator must not be what limits a server, so the
timed path does as little as it can per recv(), found by profiling: recv_into() straight
into a buffer allocated and touched before the phase (no copy; a page fault per 4 KiB cost
half the workers' time), lines counted for one probe client only (CPython counts a byte at
~1.5 GB/s: counting everything took a quarter of their time), batches made from a template
with one replace() instead of formatting each line, and a short pause between polls so that
each recv() takes many lines. Lines are counted afterwards between offsets noted during the
phase; the checks and latencies come then too (fanout_check).

Two phases on the same connections:
- latency: each client sends lines on a fixed schedule, staggered across clients, with its
  send time in the line; the time of every recv() is noted.
- throughput: each client sends batches as fast as the kernel takes them, but at most
  `window` lines ahead of its share of what it has received (sent <= window + received /
  (clients - 1), received estimated from bytes). Without this closed loop the room's backlog
  grows without bound, and the reference rightly drops a client with 1 MiB waiting unread.

Worker and parent talk over a Pipe: ("phase", settings) -> ("prepared") -> ("go", times) ->
("sent", {client: what it sent}) -> ("streams", names, what each sent) -> ("result", figures)
... ("bye"); ("error", text) on failure. What a client sent is its bytes, or when it sent as
fast as it could, the sizes of its batches (fanout_check.replay makes the bytes again).
"""

import array
import contextlib
import heapq
import os
import select
import signal
import socket
import time
from pathlib import Path

from benchmarks.fanout_check import LINE, LINE_BYTES, NL, batch, latencies, lines, relay, replay, template, verify

BATCH = 128  # lines per send() when sending as fast as possible: 8 KiB
RELAYED_BYTES = LINE_BYTES + len(b"[127.0.0.1:50000] ")  # one relayed line, to estimate lines from bytes
SPARE = 256 * 1024  # recv_into() always has this much room; the buffer grows when less is left
SETTLE_SECONDS = 60.0  # for every client to see the last one enter
STALL_SECONDS = 5.0  # a drain that sees nothing arrive this long gives up: lines were lost
IN, OUT = select.EPOLLIN, select.EPOLLOUT
# A worker's pause between polls when sending as fast as possible. A server as fast as the
# reference makes a small round for every few lines; read at once, each client's recv() gets a
# line or two, and the generator's core is saturated at 5 M deliveries/s with 100 clients while
# the server idles half the time. The pause (2 ms for 50 clients) is far shorter than the time
# the in-flight window lasts, so it costs the server nothing.
PAUSE_PER_CLIENT, PAUSE_MAX = 40e-6, 0.005


class Buffer:
    """What a client receives in a phase, written in place by recv_into()."""

    __slots__ = ("data", "grew", "size", "view")

    def __init__(self, capacity: int):
        self.data = bytearray(capacity + SPARE if capacity else 0)  # zero-filled: pages touched before the phase
        self.view = memoryview(self.data)
        self.size = self.grew = 0

    def room(self) -> memoryview:
        if len(self.data) - self.size < SPARE:
            self.view.release()
            self.data += bytes(max(len(self.data), SPARE))  # rarely, if the phase's guess was short
            self.grew += 1
            self.view = memoryview(self.data)
        return self.view[self.size :]

    def finish(self) -> bytearray:
        self.view.release()
        del self.data[self.size :]
        return self.data


class Client:
    __slots__ = (
        *("arrivals", "batches", "buffer", "closed", "counted", "events", "expected", "index", "lines"),
        *("name", "parts", "pending", "sent", "sock", "template"),
    )

    def __init__(self, sock: socket.socket, index: int):
        self.sock, self.index = sock, index
        host, port = sock.getsockname()[:2]
        self.name = f"{host}:{port}".encode()
        self.template = template(index, BATCH)
        self.closed, self.events = False, IN
        self.reset()

    def reset(self, capacity: int = 0) -> None:
        self.buffer = Buffer(capacity)
        self.lines = self.counted = self.sent = self.expected = 0
        self.parts: list[bytes] = []  # lines sent one by one in this phase, with their send times
        self.batches = array.array("I")  # sizes of the batches sent as fast as possible (fanout_check.replay)
        self.pending = memoryview(b"")  # sent, but not yet taken by the kernel
        self.arrivals: list[tuple[int, int]] = []  # (bytes received so far, ns) of each recv()

    def record(self) -> bytes | array.array:
        """What this client sent in the phase: the bytes, or the batch sizes they are made from."""
        return b"".join(self.parts) if self.parts else self.batches

    def count(self) -> int:
        """Lines complete so far; counts only what arrived since the last call."""
        self.lines += self.buffer.data.count(NL, self.counted, self.buffer.size)
        self.counted = self.buffer.size
        return self.lines


class Worker:
    """This process's clients, and the loop that drives them through a phase."""

    def __init__(self, port: int, indices: list[int], total: int):
        self.total, self.others = total, total - 1
        self.epoll = select.epoll()
        self.by_fd: dict[int, Client | None] = {}
        self.setup: dict[Client, bytearray] = {}  # what each client received while the room filled
        self.clients = [self.connect(port, index) for index in indices]
        self.pause = min(PAUSE_MAX, len(self.clients) * PAUSE_PER_CLIENT)
        self.probe = self.clients[0]  # its lines are counted as they come: see push()
        self.settle()
        del self.setup

    def connect(self, port: int, index: int) -> Client:
        """One client at a time, each waiting for its welcome: the listen backlog never overflows."""
        sock = socket.create_connection(("127.0.0.1", port), timeout=SETTLE_SECONDS)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = Client(sock, index)
        self.setup[client] = bytearray()
        while NL not in self.setup[client]:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed a connection before its welcome")
            self.setup[client] += data
        sock.setblocking(False)
        self.epoll.register(sock.fileno(), IN)
        self.by_fd[sock.fileno()] = client
        return client

    def settle(self) -> None:
        """Read until every client has seen the room complete: '(N users online)' comes once to each."""
        marker = b"(%d users online)\n" % self.total
        waiting = {client for client in self.clients if marker not in self.setup[client]}
        deadline = time.monotonic() + SETTLE_SECONDS
        while waiting:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(waiting)} clients never saw all {self.total} enter")
            for fd, _ in self.epoll.poll(0.1):
                client = self.by_fd[fd]
                data = client.sock.recv(65536)
                if not data:
                    raise ConnectionError("the server closed a connection while the room filled")
                self.setup[client] += data
                if marker in self.setup[client]:
                    waiting.discard(client)
        if any(not self.setup[client].endswith(marker) for client in self.clients):
            raise ConnectionError("a relayed line arrived before anyone had sent one")

    def phase(self, conn, settings: dict) -> dict:
        """Send and receive as `settings` say, drain, then check; the figures for the parent."""
        mode, go, end = settings["mode"], settings["go"], settings["end"]
        throughput = mode != "latency"
        everywhere = os.sched_getaffinity(0)
        os.sched_setaffinity(0, settings["cpus"])  # the generator's core: the server has the other
        marks = []  # (time, each client's bytes so far, CPU and waiting seconds) at the window's edges
        schedule: list[tuple[float, int, Client]] = []
        period = 0.0
        if mode == "latency":
            period = 1 / settings["rate"]
            schedule = [(go + c.index / self.total * period, c.index, c) for c in self.clients]
            schedule = [entry for entry in schedule if entry[0] < end]
            heapq.heapify(schedule)
        names = streams = None
        sending, reported = True, False
        last_arrival = 0.0
        self.epoll.register(conn.fileno(), IN)
        self.by_fd[conn.fileno()] = None
        time.sleep(max(0.0, go - time.monotonic()))
        if throughput:
            for client in self.clients:
                self.push(client, settings["window"], True)
        while True:
            now = time.monotonic()
            if throughput and not marks and now >= settings["from"]:
                marks.append(self.mark(now))
            if sending and now >= end:
                sending = False
                if throughput:
                    marks.append(self.mark(now))
            if not sending and not reported:
                conn.send(("sent", {} if mode == "ceiling" else {c.index: c.record() for c in self.clients}))
                reported = True
                if mode == "ceiling":
                    break
            if streams is not None:
                if all(c.closed or c.count() >= c.expected for c in self.clients):
                    break
                if now - last_arrival > STALL_SECONDS:
                    break  # what has not come by now is lost: the check will say so
            wake = now + 0.05
            if sending:
                wake = min(wake, end, settings["from"] if throughput and not marks else end)
                if schedule:
                    wake = min(wake, schedule[0][0])
            if throughput and sending:
                time.sleep(self.pause)  # let data pile up: one recv() then takes many lines, not one or two
            for fd, mask in self.epoll.poll(max(0.0, wake - now)):
                client = self.by_fd[fd]
                if client is None:
                    _, names, records = conn.recv()
                    streams = [expand(index, record) for index, record in enumerate(records)]
                    counts = [stream.count(NL) for stream in streams]
                    for c in self.clients:
                        c.expected = sum(counts) - counts[c.index]
                    last_arrival = now
                    continue
                if mask & ~OUT and self.receive(client, not throughput):
                    last_arrival = now
                if mask & OUT or (sending and throughput):
                    self.push(client, settings.get("window", 0), sending and throughput)
            if schedule and sending:
                self.send_due(schedule, end, period)
        self.epoll.unregister(conn.fileno())
        del self.by_fd[conn.fileno()]
        os.sched_setaffinity(0, everywhere)  # the checks run on every core
        return self.report(mode, marks, names, streams)

    def mark(self, now: float) -> tuple:
        return now, [client.buffer.size for client in self.clients], *schedstat("self")

    def receive(self, client: Client, stamp: bool) -> bool:
        buffer = client.buffer
        try:
            size = client.sock.recv_into(buffer.room())
        except BlockingIOError:
            return False
        except OSError:
            size = 0
        if not size:
            self.lose(client)
            return False
        buffer.size += size
        if client is self.probe:
            client.count()
        if stamp:
            client.arrivals.append((buffer.size, time.monotonic_ns()))
        return True

    def push(self, client: Client, window: int, more: bool) -> None:
        """Hand the kernel what waits, then new batches while the window allows; never blocks."""
        while not client.closed:
            if not client.pending:
                # Lines received, estimated from bytes at the probe client's bytes per line: 82 for a
                # framing server, about 64 for the documented style (one prefix per chunk of lines);
                # counting every client's lines would cost the generator a quarter of its time.
                probe = self.probe
                if probe.lines:
                    received = client.buffer.size * probe.lines // probe.buffer.size
                else:
                    received = client.buffer.size // RELAYED_BYTES
                allowed = window + received // self.others - client.sent if more else 0
                if allowed <= 0:
                    break
                count = min(allowed, BATCH)
                data = batch(client.template, len(client.batches), count)
                client.batches.append(count)
                client.sent += count
                client.pending = memoryview(data)
            try:
                client.pending = client.pending[client.sock.send(client.pending) :]
            except BlockingIOError:
                pass
            except OSError:
                self.lose(client)
            if client.pending:
                break
        self.want_write(client, bool(client.pending) and not client.closed)

    def send_due(self, schedule: list, end: float, period: float) -> None:
        now = time.monotonic()
        while schedule and schedule[0][0] <= now:
            due, index, client = heapq.heappop(schedule)
            if due + period < end:
                heapq.heappush(schedule, (due + period, index, client))
            if client.closed:
                continue
            data = LINE % (client.index, client.sent, time.monotonic_ns())
            client.parts.append(data)
            client.sent += 1
            client.pending = memoryview(bytes(client.pending) + data)
            self.push(client, 0, False)

    def want_write(self, client: Client, flag: bool) -> None:
        events = IN | OUT if flag else IN
        if client.events != events:
            self.epoll.modify(client.sock.fileno(), events)
            client.events = events

    def lose(self, client: Client) -> None:
        if not client.closed:
            client.closed = True
            client.pending = memoryview(b"")
            self.epoll.unregister(client.sock.fileno())

    def report(self, mode: str, marks: list, names: list | None, streams: list | None) -> dict:
        """Figures for the parent; checks every client's stream against what the others sent."""
        figures: dict = {"problems": [], "lines": 0, "received": 0, "unprefixed": 0, "grew": 0}
        if len(marks) == 2:
            (t0, _, cpu0, wait0), (t1, _, cpu1, wait1) = marks
            figures.update(seconds=t1 - t0, cpu=cpu1 - cpu0, wait=wait1 - wait0)
        samples = array.array("q")
        names, streams = names or [], streams or []
        relayed = [relay(name, stream) for name, stream in zip(names, streams, strict=True)]
        for number, client in enumerate(self.clients):
            figures["grew"] += client.buffer.grew  # then page faults may have slowed the generator
            received = bytes(client.buffer.finish())  # bytes: the check runs 1.5 times faster on them
            client.buffer = Buffer(0)
            if len(marks) == 2:
                figures["lines"] += received.count(NL, marks[0][1][number], marks[1][1][number])
            counts = {"pieces": client.count()}
            problem = "" if mode == "ceiling" else verify(received, client.index, names, streams, relayed, counts)
            figures["received"] += client.lines
            figures["unprefixed"] += max(0, client.lines - counts["pieces"])  # glued under another's prefix
            if client.closed:
                problem = "the server closed the connection" + (f"; {problem}" if problem else "")
            if problem:
                figures["problems"].append((client.index, problem))
            if mode == "latency":
                samples.extend(latencies(received, client.arrivals))
        figures["latencies"] = samples.tobytes()
        return figures


def expand(sender: int, record: bytes | array.array) -> bytes:
    return record if isinstance(record, bytes) else replay(sender, record)


def lines_in(record: bytes | array.array) -> int:
    return record.count(NL) if isinstance(record, bytes) else sum(record)


def schedstat(pid: int | str) -> tuple[float, float]:
    """Seconds a process has run on a CPU, and waited for one while runnable (/proc/PID/schedstat)."""
    try:
        ran, waited, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(ran) / 1e9, int(waited) / 1e9


def worker(conn, port: int, indices: list[int], total: int) -> None:
    """A worker process's life: connect, answer 'phase' until 'bye'; errors go to the parent as text."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent ends us, by PID
    try:
        room = Worker(port, indices, total)
        conn.send(("ready", [(client.index, client.name) for client in room.clients]))
        while (message := conn.recv())[0] == "phase":
            for client in room.clients:  # the memory is touched before the parent sets the clock
                client.reset(message[1]["capacity"])
            conn.send(("prepared", None))
            conn.send(("result", room.phase(conn, {**message[1], **conn.recv()[1]})))
    except Exception as error:  # whatever it is, the parent reports it as this server's failure
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(error).__name__}: {error}"))


def ceiling(conn, total: int) -> None:
    """The fastest fan-out there can be, to measure how fast the workers can receive.

    For every line a client sends (64 bytes, counted, not read as lines), every other client
    is owed one relayed line, sent from a block built once: one send() per client per round
    like the reference, no work per line at all, and the same closed loop as a real server
    (so no receive window fills up, which would move the kernel's sending into our workers).
    What it achieves is the generator's limit, unless its own CPU column is at 100 %."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    conn.send(listener.getsockname()[1])
    socks = []
    for count in range(1, total + 1):
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"> Connected to the chat server (%d %s online)\n" % (count, b"users" if count > 1 else b"user"))
        socks.append(sock)
    for sock in socks[:-1]:
        sock.sendall(b"> New user 127.0.0.1:50000 entered (%d users online)\n" % total)
    conn.recv()  # go
    line = b"[127.0.0.1:50000] " + lines(0, 0, 1)
    block = memoryview(line * 16384)
    owed, sent, carry = dict.fromkeys(socks, 0), dict.fromkeys(socks, 0), dict.fromkeys(socks, 0)
    for sock in socks:
        sock.setblocking(False)
    while socks:
        readable, _, _ = select.select(socks, [sock for sock in socks if owed[sock]], [])
        said, gone = {}, set()
        for sock in readable:
            try:
                data = sock.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                gone.add(sock)
            said[sock], carry[sock] = divmod(carry[sock] + len(data), LINE_BYTES)
        everyone = sum(said.values())
        for sock in list(socks):
            if sock in gone:
                socks.remove(sock)
                continue
            owed[sock] += (everyone - said.get(sock, 0)) * len(line)
            if owed[sock]:
                start = sent[sock] % len(line)
                try:
                    done = sock.send(block[start : start + min(owed[sock], len(block) - len(line))])
                except BlockingIOError:
                    done = 0
                except OSError:
                    socks.remove(sock)
                    continue
                sent[sock] += done
                owed[sock] -= done
