"""Chat server built from plain functions and dicts around selectors.DefaultSelector.

    python3 srv.py HOST PORT        (PORT 0 picks a free port)

The room is a dict: the listening socket, the selector, and the people, each of them a
dict too (socket, "IP:PORT", the unfinished line received, the bytes not yet sent).
"""

import selectors
import socket
import sys

MAX_PARTIAL = 64 * 1024
MAX_UNSENT = 1024 * 1024
HOW = "usage: python3 srv.py HOST PORT"


def n_online(room):
    n = len(room["people"])
    return f"({n} users online)" if n > 1 else f"({n} user online)"


def enqueue(person, line):
    person["unsent"].extend(line.encode("utf-8") + b"\n")


def shout(room, line, skip=None):
    print(line)
    for person in room["people"].values():
        if person is not skip:
            enqueue(person, line)


def on_listener(room, _):
    try:
        sock, (ip, port) = room["listener"].accept()
    except OSError:
        return
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    person = {"sock": sock, "id": f"{ip}:{port}", "half": bytearray(), "unsent": bytearray()}
    room["people"][sock] = person
    room["selector"].register(sock, selectors.EVENT_READ, person)
    enqueue(person, "> Connected to the chat server " + n_online(room))
    shout(room, f"> New user {person['id']} entered {n_online(room)}", skip=person)


def on_person(room, person):
    try:
        chunk = person["sock"].recv(65536)
    except OSError:
        chunk = b""
    if not chunk:
        remove(room, person)
        return
    person["half"].extend(chunk)
    while True:
        newline = person["half"].find(b"\n")
        if newline < 0:
            break
        raw = bytes(person["half"][:newline])
        del person["half"][: newline + 1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if raw:
            shout(room, f"[{person['id']}] {raw.decode('utf-8', 'replace')}", skip=person)
    if len(person["half"]) > MAX_PARTIAL:
        remove(room, person)


def remove(room, person):
    if room["people"].get(person["sock"]) is not person:
        return
    del room["people"][person["sock"]]
    room["selector"].unregister(person["sock"])
    person["sock"].close()
    shout(room, f"< The user {person['id']} left {n_online(room)}")


def drain(room):
    """One send() for each person with bytes waiting; the rest goes when the socket is writable."""
    for person in list(room["people"].values()):
        if room["people"].get(person["sock"]) is not person or not person["unsent"]:
            continue
        try:
            count = person["sock"].send(person["unsent"])
        except BlockingIOError:
            count = 0
        except OSError:
            remove(room, person)
            continue
        del person["unsent"][:count]
        if len(person["unsent"]) > MAX_UNSENT:
            remove(room, person)
    # A removal above told everyone, also those already served in this pass: whoever has
    # bytes waiting now is watched for room to write, so none of it waits for a next event.
    for person in room["people"].values():
        wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if person["unsent"] else 0)
        if room["selector"].get_key(person["sock"]).events != wanted:
            room["selector"].modify(person["sock"], wanted, person)


def run(room):
    handlers = {"listener": on_listener, "person": on_person}
    while True:
        for key, events in room["selector"].select():
            kind = "listener" if key.data is None else "person"
            current = kind == "listener" or room["people"].get(key.fileobj) is key.data
            if events & selectors.EVENT_READ and current:
                handlers[kind](room, key.data)
        drain(room)


def stop(status, text):
    sys.stderr.write(f"srv.py: {text} ({HOW})\n")
    sys.exit(status)


def read_args(args):
    if len(args) != 2:
        stop(2, f"takes 2 arguments, HOST and PORT, not {len(args)}")
    if not args[0].isprintable():
        stop(2, f"HOST must be a name or an address, not {args[0]!r}")
    if not args[1].isascii() or not args[1].isdigit() or int(args[1]) > 65535:
        stop(2, f"PORT must be 0 to 65535, not {args[1]!r}")
    return args[0], int(args[1])


def open_room(host, port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(100)
    except (socket.gaierror, UnicodeError):
        stop(1, f"unknown host {host!r}")
    except OSError as error:
        stop(1, f"cannot listen on {host}:{port}: {error.strerror or error}")
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    return {"listener": listener, "selector": selector, "people": {}}


def main():
    room = open_room(*read_args(sys.argv[1:]))
    try:
        print(f"Chat Server started on port {room['listener'].getsockname()[1]}.")
        run(room)
    except KeyboardInterrupt:
        print("\nexit")
    finally:
        room["selector"].close()
        room["listener"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
