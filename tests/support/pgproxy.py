"""A TCP proxy in front of PostgreSQL that can lose the server's answer to a COMMIT:
the server has committed, the client never hears so and its connection drops, as when
the network fails at that moment. Nothing else is changed: the proxy refuses SSL and
GSS encryption itself (so it can read the server's messages) and forwards every byte."""

import socket
import struct
import threading

ENCRYPTION_REQUESTS = (80877103, 80877104)  # SSLRequest, GSSENCRequest


class _Lost(Exception):
    pass


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _shut(*sockets: socket.socket) -> None:
    """Shuts sockets down without closing them: whoever reads one wakes (end of stream)
    and closes it. (Closing under a waiting reader leaves eventlet's hub listening on a
    number the next socket may get.)"""
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class PostgresProxy:
    """Listens on ``port``; ``lose_commit_replies(n)`` makes it drop the connections of
    the next ``n`` COMMITs instead of forwarding their answer; ``lost`` counts them.
    With ``and_the_next_query``, the connection that sends the next statement after
    each loss is dropped too, before it reaches the server (``dropped_after`` counts
    them): the client's first question after a lost answer meets a dead connection,
    as it does when the server has terminated every backend of its pool. (A statement
    is a Parse message, as psycopg sends every parametrised one; a new connection's
    settings go as simple queries and pass.)"""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lost = 0
        self.dropped_after = 0
        self._to_lose = 0
        self._and_the_next_query = False
        self._drop_next_query = False
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_commit_replies(self, count: int = 1, and_the_next_query: bool = False) -> None:
        with self._lock:
            self._to_lose, self._and_the_next_query = count, and_the_next_query

    def _take(self) -> bool:
        with self._lock:
            if self._to_lose <= 0:
                return False
            self._to_lose -= 1
            self.lost += 1
            self._drop_next_query = self._and_the_next_query
            return True

    def _take_query(self) -> bool:
        with self._lock:
            if not self._drop_next_query:
                return False
            self._drop_next_query = False
            self.dropped_after += 1
            return True

    def close(self) -> None:
        """Stops listening and ends every connection it carries."""
        _shut(self.listener, *self._open)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # shut down
                self.listener.close()
                return
            server = socket.create_connection(self.upstream)
            self._open |= {client, server}
            threading.Thread(target=self._client_to_server, args=(client, server), daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(server, client), daemon=True).start()

    def _client_to_server(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while True:  # the start-up message, after any request for encryption
                head = _exactly(client, 8)
                length, code = struct.unpack("!II", head)
                if length == 8 and code in ENCRYPTION_REQUESTS:
                    client.sendall(b"N")
                    continue
                server.sendall(head + _exactly(client, length - 8))
                break
            while data := client.recv(65536):
                if data[:1] == b"P" and self._take_query():
                    break
                server.sendall(data)
        except (OSError, EOFError):  # either side went away (eventlet's sockets say EOFError)
            pass
        finally:
            _shut(client, server)
            client.close()
            self._open.discard(client)

    def _server_to_client(self, server: socket.socket, client: socket.socket) -> None:
        pending = b""
        try:
            while data := server.recv(65536):
                pending += data
                forward = b""
                while len(pending) >= 5:
                    size = 1 + struct.unpack("!I", pending[1:5])[0]
                    if len(pending) < size:
                        break
                    message, pending = pending[:size], pending[size:]
                    if message[:1] == b"C" and message[5:] == b"COMMIT\x00" and self._take():
                        client.sendall(forward)
                        raise _Lost
                    forward += message
                client.sendall(forward)
        except (OSError, EOFError, _Lost):
            pass
        finally:
            _shut(server, client)
            server.close()
            self._open.discard(server)
