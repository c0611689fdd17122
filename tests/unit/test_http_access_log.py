"""eventlet's access-log line is built for every request only if its logger keeps it."""

import logging
import socket

from services.backbone.web.entrypoints import JsonWebServer


def test_the_access_log_line_is_built_only_where_its_logger_would_keep_it():
    logger = logging.getLogger("nameko.web.server")
    level = logger.level
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    try:
        logger.setLevel(logging.WARNING)  # as the services' logging configures it
        assert JsonWebServer().get_wsgi_server(listening, wsgi_app=None).log_output is False
        logger.setLevel(logging.INFO)
        assert JsonWebServer().get_wsgi_server(listening, wsgi_app=None).log_output is True
    finally:
        logger.setLevel(level)
        listening.close()


def test_answers_are_sent_without_waiting_for_the_clients_delayed_ack():
    """Nagle's algorithm off (TCP_NODELAY, inherited by accepted sockets): an answer
    eventlet writes in two sends would otherwise wait ~40 ms for the client's ACK."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    try:
        assert not listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        JsonWebServer().get_wsgi_server(listening, wsgi_app=None)
        assert listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        listening.close()
