"""The one loop that reads and writes every member of a room: its terminals, its robots, a
fake server and a crowd's hundreds of users.

One selector is kept from call to call (epoll: no ceiling at 1024 descriptors, and nothing
to rebuild at every wait); a member is watched again only when what it wants may have
changed. Every read goes through one buffer: a fresh 256 KB for every recv() would cost a
page-faulting allocation each time.
"""

import selectors
from typing import Protocol

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
RECV_SIZE = 1 << 18
UNWATCHED = (-1, 0)


class Member(Protocol):
    def fileno(self) -> int: ...

    def wants(self) -> int:
        """READ and/or WRITE: what it waits to be able to do now (0: nothing, as once it has ended)."""
        ...

    def serve(self, events: int, buffer: memoryview) -> None:
        """Read and write what the selector says it can, reading through the loop's buffer."""
        ...


class Loop:
    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.buffer = memoryview(bytearray(RECV_SIZE))
        self._watched: dict[Member, tuple[int, int]] = {}  # member -> (descriptor, events) watched

    def watch(self, member: Member) -> None:
        """Watch the member for what it wants now, or not at all once it has ended. Call after
        anything that may change that: bytes queued, a pause, a hang-up, an accepted client."""
        events = member.wants()
        wanted = (member.fileno(), events) if events else UNWATCHED
        watched = self._watched.get(member, UNWATCHED)
        if wanted == watched:
            return
        if watched[0] != wanted[0] and watched != UNWATCHED:
            self._drop(watched[0])  # closed, or replaced (a fake server's listener by its client)
        if wanted == UNWATCHED:
            return
        fd, events = wanted
        holder = self.selector.get_map().get(fd)
        if holder is not None and holder.data is not member:
            self._drop(fd)  # a member closed since it was watched, whose number is used again
            holder = None
        if holder is None:
            self.selector.register(fd, events, member)
        else:
            self.selector.modify(fd, events, member)
        self._watched[member] = wanted

    def _drop(self, fd: int) -> None:
        """Stop watching a descriptor, which may be closed already (the selector allows it)."""
        key = self.selector.unregister(fd)
        self._watched.pop(key.data, None)

    def watching(self) -> bool:
        return bool(self._watched)

    def pump(self, timeout: float) -> bool:
        """Serve every member that can read or write, waiting at most timeout for the first;
        True if any could."""
        happened = self.selector.select(timeout)
        for key, events in happened:
            member = key.data
            member.serve(events, self.buffer)
            self.watch(member)
        return bool(happened)

    def anything_to_read(self) -> bool:
        """Whether any member watched for reading has something to read (or has ended) now."""
        return any(events & READ for _, events in self.selector.select(0))

    def close(self) -> None:
        self.selector.close()
        self._watched.clear()
