"""The chat protocol on asyncio streams, for the fan-out benchmark.

    python3 asyncio_server.py HOST PORT        (PORT 0 picks a free port)

Written the way the asyncio documentation suggests: one coroutine per client reading
whole lines with readline(), and StreamWriter.write() to every other client. write()
never blocks; what the kernel does not take at once waits in the transport's buffer, and
a client that lets more than 1 MiB pile up unread is dropped, as in the reference. It is
an honest contender, not a straw man: the point of comparing with it is that a write per
delivery (a send() system call each, once the buffer is empty) is what asyncio costs.
"""

import asyncio
import sys

MAX_LINE = 64 * 1024  # readline() raises beyond this: the client is dropped, as in the reference
MAX_OUTBOX = 1024 * 1024


def users_online(count):
    return f"({count} {'users' if count > 1 else 'user'} online)"


class Room:
    def __init__(self):
        self.writers = {}  # StreamWriter -> "IP:PORT", in the order they came

    def broadcast(self, line, sender=None):
        data = (line + "\n").encode()
        for writer in list(self.writers):
            if writer is not sender:
                writer.write(data)
                if writer.transport.get_write_buffer_size() > MAX_OUTBOX:
                    writer.transport.abort()  # its reader sees the end and says goodbye

    async def serve(self, reader, writer):
        host, port = writer.get_extra_info("peername")[:2]
        name = self.writers[writer] = f"{host}:{port}"
        online = users_online(len(self.writers))
        print(f"> New user {name} entered {online}")
        writer.write(f"> Connected to the chat server {online}\n".encode())
        self.broadcast(f"> New user {name} entered {online}", sender=writer)
        try:
            while (line := await reader.readline()).endswith(b"\n"):
                text = line.rstrip(b"\n").rstrip(b"\r").decode("utf-8", "replace")
                if text:
                    relayed = f"[{name}] {text}"
                    print(relayed)
                    self.broadcast(relayed, sender=writer)
        except (ConnectionError, ValueError):  # a reset, or a line longer than MAX_LINE
            pass
        finally:
            del self.writers[writer]
            writer.transport.abort()
            notice = f"< The user {name} left {users_online(len(self.writers))}"
            print(notice)
            self.broadcast(notice)


async def main(host, port):
    room = Room()
    server = await asyncio.start_server(room.serve, host, port, limit=MAX_LINE, reuse_address=True, backlog=128)
    print(f"Chat Server started on port {server.sockets[0].getsockname()[1]}.")
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        print("usage: python3 asyncio_server.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    except KeyboardInterrupt:
        print("\nexit")
    except OSError as error:
        print(f"asyncio_server.py: cannot listen on {sys.argv[1]}:{sys.argv[2]}: {error}", file=sys.stderr)
        sys.exit(1)
