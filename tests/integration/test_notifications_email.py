"""E-mail through a real SMTP server (aiosmtpd, started by the test); while no SMTP
server answers, mail waits and is retried instead of failing."""

import email
import json
import ssl
import time
from email import policy

import pytest
import requests
from nameko.testing.utils import find_free_port

from tests.support.settings import settings_of
from services.notifications.channels import Channels, ChannelUnavailable, DeliveryFailed, EmailChannel
from tests.support.upstream import base_declared, funding_allocated
from tests.support.receivers import MailServer, certificates_for, dispatch_to
from tests.support.broker import UpstreamLog
from tests.support.platform import wait_until


def subscribe_by_mail(platform, address="kjt@example.cn"):
    response = requests.post(platform.url("notifications", "/subscriptions"),
                             json={"label": "科技厅邮件", "channel": {"kind": "email", "address": address},
                                   "filter": {"event_types": ["FundingAllocated"]}},
                             headers=platform.headers("department", name="山西省科学技术厅"))
    assert response.status_code == 201, response.text
    return response.json()


def allocate(platform):
    registry, funding = UpstreamLog(platform.config, "registry"), UpstreamLog(platform.config, "funding")
    declared = registry.emit("BaseDeclared", base_declared(), role="applicant")
    allocated = funding.emit("FundingAllocated", funding_allocated(declared["payload"]["base_id"]),
                             role="funding_office")
    registry.close()
    funding.close()
    return allocated


def test_a_mail_subscription_is_delivered_through_the_smtp_server(platform):
    with MailServer() as mail:
        platform.config["notifications"]["smtp"]["port"] = mail.port
        platform.start("notifications")
        subscribe_by_mail(platform)
        allocated = allocate(platform)
        wait_until(lambda: mail.messages, message="the mail")

    envelope = mail.messages[0]
    assert envelope.rcpt_tos == ["kjt@example.cn"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "【双创示范基地】资金安排"
    assert message["X-SC-Event-Type"] == "FundingAllocated"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("为 山西大学 安排省级预算内资金 3,000,000.00 元")
    attachment = next(message.iter_attachments())
    assert json.loads(attachment.get_content())["event_id"] == allocated["event_id"]
    assert message["Message-ID"] == f"<{message['X-SC-Delivery']}@sc.test>"


def test_without_an_smtp_server_mail_keeps_waiting_and_goes_once_the_server_is_up(platform):
    port = find_free_port()
    platform.config["notifications"]["smtp"]["port"] = port
    platform.start("notifications")
    subscribe_by_mail(platform)
    allocate(platform)
    ops = platform.headers("ops")
    listing = platform.url("notifications", "/deliveries")
    max_attempts = platform.config["notifications"]["max_attempts"]

    def retried_beyond_max_attempts():
        rows = requests.get(listing, headers=ops).json()["deliveries"]
        return rows and rows[0]["attempts"] > max_attempts and rows[0]

    waiting = wait_until(retried_beyond_max_attempts, message="repeated attempts")
    assert waiting["status"] in ("pending", "sending")
    assert "unavailable" in waiting["last_error"]

    with MailServer(port) as mail:
        wait_until(lambda: mail.messages, message="the mail once the server is up")
        delivered = wait_until(lambda: requests.get(listing, headers=ops).json()["deliveries"][0]["status"] == "delivered")
    assert delivered and len(mail.messages) == 1


def mail_channel(port: int, **settings) -> EmailChannel:
    return EmailChannel(**{"host": "127.0.0.1", "port": port, "sender": "平台 <noreply@sc.test>",
                           "timeout": 2, **settings})


def test_one_deadline_bounds_the_whole_conversation_with_the_mail_server():
    """Each command within the socket timeout, the conversation beyond the deadline:
    without one bound for the whole attempt, ten slow commands outlast the lease."""
    with MailServer(delay=0.4) as mail:
        started = time.monotonic()
        with pytest.raises(ChannelUnavailable, match=r"did not finish within 1s"):
            mail_channel(mail.port, timeout=1).send(dispatch_to("kjt@example.cn", channel="email"))
        assert time.monotonic() - started < 1.6
    assert mail.messages == []


@pytest.mark.parametrize("command, reply, whose", [
    ("RCPT", "450 4.2.2 Mailbox full, try later", DeliveryFailed),
    ("RCPT", "550 5.1.1 No such user", DeliveryFailed),
    ("DATA", "554 5.6.0 Message refused", DeliveryFailed),
    ("RCPT", "421 4.3.2 Closing, try later", ChannelUnavailable),
    ("MAIL", "530 5.7.0 Authentication required", ChannelUnavailable),
    ("MAIL", "553 5.7.1 Sender not allowed", ChannelUnavailable),
    ("MAIL", "451 4.3.0 Local error", ChannelUnavailable),
    ("DATA", "451 4.3.0 Local error", ChannelUnavailable),
])
def test_a_refused_recipient_is_the_receivers_failure_and_a_refused_sender_ours(command, reply, whose):
    """The receiver's failures count towards max_attempts (a mailbox full for days fails
    the delivery instead of holding up the base's later mail for ever); our own
    misconfiguration must not use up anybody's attempts."""
    with MailServer(refuse={command: reply}) as mail:
        with pytest.raises((DeliveryFailed, ChannelUnavailable)) as failed:
            mail_channel(mail.port).send(dispatch_to("kjt@example.cn", channel="email"))
    assert type(failed.value) is whose, str(failed.value)
    assert reply.split()[0] in str(failed.value)
    assert mail.messages == []


def test_a_recipient_refused_for_now_fails_the_delivery_after_max_attempts(platform):
    with MailServer(refuse={"RCPT": "450 4.2.2 Mailbox full"}) as mail:
        platform.config["notifications"]["smtp"]["port"] = mail.port
        platform.start("notifications")
        subscribe_by_mail(platform)
        allocate(platform)
        listing = platform.url("notifications", "/deliveries?status=failed")
        failed = wait_until(lambda: requests.get(listing, headers=platform.headers("ops")).json()["deliveries"],
                            message="the delivery to fail")
    assert failed[0]["attempts"] == platform.config["notifications"]["max_attempts"]
    assert failed[0]["last_error"].startswith("Recipient refused: kjt@example.cn: 450")
    assert mail.commands.count("RCPT") == failed[0]["attempts"]


def test_starttls_checks_the_mail_servers_certificate(tmp_path):
    """Without a check (smtplib's default), whoever sits between the platform and its
    mail server reads every mail, and the password after STARTTLS."""
    ca_file, (cert_file, key_file) = certificates_for(tmp_path, "localhost")
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert_file, key_file)
    with MailServer(tls_context=server_side) as mail:
        unknown_ca = mail_channel(mail.port, host="localhost", starttls=True,
                                  username="scjd", password="not-to-be-seen")
        assert unknown_ca.tls.verify_mode == ssl.CERT_REQUIRED and unknown_ca.tls.check_hostname
        with pytest.raises(ChannelUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            unknown_ca.send(dispatch_to("kjt@example.cn", channel="email"))
        wrong_name = mail_channel(mail.port, host="127.0.0.1", starttls=True, ca_certs=ca_file)
        with pytest.raises(ChannelUnavailable, match="(?i)certificate|hostname|IP address"):
            wrong_name.send(dispatch_to("kjt@example.cn", channel="email"))
        assert mail.commands == [] and mail.messages == []

        trusted = mail_channel(mail.port, host="localhost", starttls=True, ca_certs=ca_file)
        assert trusted.send(dispatch_to("kjt@example.cn", channel="email")).startswith("accepted")
    assert [m.rcpt_tos for m in mail.messages] == [["kjt@example.cn"]]


def test_a_password_is_never_sent_without_tls():
    with pytest.raises(ValueError, match="starttls"):
        mail_channel(25, username="scjd", password="secret", starttls=False)
    settings = settings_of({"notifications": {
        "webhook": {"timeout_seconds": 1},
        "smtp": {"host": "mail.example.gov.cn", "port": 25, "sender": "noreply@example.gov.cn",
                 "timeout_seconds": 1, "username": "scjd", "password": "secret", "starttls": False}}})
    with pytest.raises(ValueError, match="in clear"):
        Channels.from_config(settings.notifications)  # as the sender does at start-up
