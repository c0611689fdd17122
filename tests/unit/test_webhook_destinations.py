"""Where webhooks may go: never into the platform's own network, unless configured for
development; the refusal names the field and the reason."""

import socket
from uuid import uuid4

import pytest

from services.backbone.settings import load_settings
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


def test_only_the_private_hosts_the_configuration_names_may_be_reached():
    """A webhook to 127.0.0.1:5432 under the local config told its subscriber whether
    PostgreSQL listens there: a private destination is reached only where named, a
    host for any port of it, host:port for that port only."""
    allowed = Destinations(private_hosts=["localhost", "127.0.0.1:8000", "[::1]:9000"],
                           resolve=resolver("127.0.0.1"))
    allowed.check_url("http://127.0.0.1:8000/hooks")
    allowed.check_url("http://[::1]:9000/hooks")
    assert allowed.check_before_sending("http://LOCALHOST:5432/hooks") is None  # a named host: any port
    for url in ("http://127.0.0.1:5432/", "http://[::1]:5672/", "http://10.0.0.8:8000/"):
        with pytest.raises(RuleViolation, match="private network"):
            allowed.check_url(url)
    local = Destinations.from_config(load_settings("local", environ={"SC_AUTH__SECRET": "x" * 32}).notifications)
    with pytest.raises(RuleViolation, match="private network"):
        local.check_url("http://127.0.0.1:5432/")


@pytest.mark.parametrize("url, carried", [
    ("http://[64:ff9b::a00:1]/", "10.0.0.1"),          # NAT64, well-known prefix
    ("http://[64:ff9b::7f00:1]:5432/", "127.0.0.1"),
    ("http://[2002:a9fe:a9fe::1]/", "169.254.169.254"),  # 6to4
    ("http://[2002:c0a8:101::]/", "192.168.1.1"),
    ("http://[::10.0.0.1]/", "10.0.0.1"),              # IPv4-compatible
    ("http://[::ffff:0:a00:1]/", "10.0.0.1"),          # IPv4-translated
])
def test_an_ipv6_address_carrying_a_private_ipv4_address_is_refused_naming_it(url, carried):
    with pytest.raises(RuleViolation, match=f"carries {carried}"):
        Destinations().check_url(url)
    with pytest.raises(DestinationRefused, match=f"carries {carried}"):
        Destinations(resolve=resolver(url.split("[")[1].split("]")[0])).check_before_sending(
            "https://rebound.example.cn/h")


def test_teredo_and_local_nat64_are_refused_and_public_embeddings_pass():
    with pytest.raises(RuleViolation, match="private network"):
        Destinations().check_url("http://[2001:0:a00:1::]/")  # Teredo, server 10.0.0.1
    with pytest.raises(RuleViolation, match="local-use NAT64"):
        Destinations().check_url("http://[64:ff9b:1::5db8:d822]/")
    Destinations().check_url("http://[64:ff9b::5db8:d822]/")  # NAT64 of 93.184.216.34
    Destinations().check_url("http://[2002:5db8:d822::1]/")   # 6to4 of 93.184.216.34


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
    app.configure(settings_of({"notifications": {"webhook": {"private_hosts": []}}}).notifications)
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
