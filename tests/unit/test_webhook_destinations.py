"""Where webhooks may go: never into the platform's own network, unless configured for
development; the refusal names the field and the reason."""

import socket
from uuid import uuid4

import pytest

from tests.support.settings import settings_of
from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import RuleViolation
from services.notifications.application import NotificationsApplication
from services.notifications.channels import DeliveryFailed, WebhookChannel
from services.notifications.destinations import DestinationRefused, Destinations
from services.notifications.domain import Dispatch

INSIDE = ["http://127.0.0.1:15672/api/overview", "http://127.1.2.3:8080/",
          "http://10.1.2.3/", "http://172.16.0.9/", "http://192.168.1.1/", "http://169.254.169.254/latest/",
          "http://100.64.0.1/", "http://0.0.0.0/", "http://[::1]/", "http://[fd00::1]/",
          "http://[fe80::1]/", "http://[::ffff:10.0.0.1]/", "http://224.0.0.1/"]


def resolver(*addresses):
    def resolve(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port))
                for a in addresses]
    return resolve


@pytest.mark.parametrize("url", INSIDE)
def test_a_literal_address_inside_is_refused_when_subscribing_with_the_field_named(url):
    with pytest.raises(RuleViolation) as refused:
        Destinations().check_url(url)
    assert list(refused.value.fields) == ["channel.url"]
    assert "private network" in refused.value.fields["channel.url"][0]


@pytest.mark.parametrize("url", ["https://kjt.shanxi.gov.cn/hooks", "http://93.184.216.34/hooks",
                                 "https://[2001:4860:4860::8888]/x"])
def test_public_addresses_and_names_may_be_subscribed(url):
    Destinations().check_url(url)


def test_development_may_allow_private_destinations():
    allowed = Destinations(allow_private=True, resolve=resolver("127.0.0.1"))
    allowed.check_url("http://127.0.0.1:8000/hooks")
    allowed.check_before_sending("http://localhost:8000/hooks")


def test_production_requires_https():
    with pytest.raises(RuleViolation, match="https"):
        Destinations(require_https=True).check_url("http://kjt.shanxi.gov.cn/hooks")
    Destinations(require_https=True).check_url("https://kjt.shanxi.gov.cn/hooks")


def test_a_name_is_checked_on_every_address_it_resolves_to_before_each_attempt():
    Destinations(resolve=resolver("93.184.216.34")).check_before_sending("https://a.example.cn/h")
    with pytest.raises(DestinationRefused, match="10.0.0.7"):
        Destinations(resolve=resolver("93.184.216.34", "10.0.0.7")).check_before_sending(
            "https://rebound.example.cn/h")

    def fails(*args, **kwargs):
        raise socket.gaierror("Name or service not known")
    with pytest.raises(DestinationRefused, match="cannot be resolved"):
        Destinations(resolve=fails).check_before_sending("https://nowhere.example.cn/h")


def test_the_webhook_channel_fails_the_attempt_without_connecting():
    channel = WebhookChannel(timeout=1, destinations=Destinations(resolve=resolver("192.168.0.5")))
    dispatch = Dispatch(delivery_id=uuid4(), subscription_id=uuid4(), attempt=1, channel="webhook",
                        destination="http://intranet.example.cn/admin", secret="s" * 20,
                        event_type="BaseDeclared", event_id=uuid4(), title="t", message="m",
                        envelope={})
    with pytest.raises(DeliveryFailed, match="Not sent: intranet.example.cn is 192.168.0.5"):
        channel.send(dispatch)


def test_the_application_refuses_such_subscriptions_and_changes():
    app = NotificationsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.configure(settings_of({"notifications": {"webhook": {"allow_private_destinations": False}}}).notifications)
    owner = Actor(id=uuid4(), role="department", name="山西省科学技术厅", org="山西省科学技术厅")
    with pytest.raises(RuleViolation, match="channel.url"):
        app.subscribe(label="", filter={}, channel={"kind": "webhook", "url": "http://127.0.0.1:15672/"},
                      actor=owner, ctx=owner.context())
    hook = app.subscribe(label="", filter={}, channel={"kind": "webhook", "url": "https://hooks.example.cn/"},
                         actor=owner, ctx=owner.context())
    with pytest.raises(RuleViolation, match="channel.url"):
        app.change_subscription(hook.id, actor=owner, ctx=owner.context(),
                                channel={"url": "http://169.254.169.254/latest/meta-data/"})
    assert app.get_subscription(hook.id, owner).channel["url"] == "https://hooks.example.cn/"
