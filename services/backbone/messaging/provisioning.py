"""The administrator's part: the platform's exchanges, queues, policies, and a broker user
with its permissions for each service, imported as one definitions document through
RabbitMQ's management API (idempotent; ``sc broker-init``, ``make run``, tests)."""

import logging
import time

import requests

from services.backbone.messaging.broker import management_api
from services.backbone.messaging.broker_users import user_definitions, vhost_of
from services.backbone.messaging.topology import definitions
from services.backbone.settings import Settings

log = logging.getLogger(__name__)


class BrokerRefused(RuntimeError):
    """The management API refused the administrator (waiting will not change it)."""


def initialise_broker(settings: Settings, services, attempts: int = 30) -> None:
    """Imports the topology and ``services``' users into the settings' vhost, as the
    settings' (administrator) user; waits for the management API up to ``attempts`` times."""
    api = management_api(settings)
    vhost = vhost_of(settings)
    document = definitions(settings.broker.namespace, settings.consumer.delivery_limit, vhost=vhost)
    document.update(user_definitions(settings, services, vhost))
    for attempt in range(attempts):
        try:
            response = requests.post(api.url("definitions"), json=document, timeout=10, auth=api.auth)
            if response.status_code in (401, 403):
                raise BrokerRefused(f"the management API refused {api.auth[0]!r}: {response.text} "
                                    "(importing definitions needs an administrator)")
            response.raise_for_status()
            return
        except requests.RequestException as error:
            if attempt == attempts - 1:
                raise
            log.warning("waiting for the management API (%s)", error)
            time.sleep(2)


def remove_users(settings: Settings, services) -> None:
    """Deletes ``services``' broker users (a test's or a demo's run, when it ends)."""
    from services.backbone.messaging.broker_users import broker_user

    api = management_api(settings)
    for service in services:
        user = requests.utils.quote(broker_user(settings, service), safe="")
        requests.delete(f"{api.base}/api/users/{user}", auth=api.auth, timeout=10)
