"""The notifications service: HTTP and RPC entrypoints over the notifications application,
the three upstream subscriptions, and the background sender.

Thin by design: load and validate the request, call the application with the caller,
dump the result. Rules live in domain.py, orchestration in application.py, sending in
sender.py and channels.py.
"""

from functools import partial

from marshmallow import fields

from services.backbone.messaging.subscription import Subscription
from services.backbone.dependencies import EventStore
from services.backbone.web.answers import Health, answer, listing
from services.backbone.web.entrypoints import Caller, http, rpc, schema, validated
from services.backbone.web.inputs import read_json, read_query
from services.backbone.messaging.published_log import PublishedLog
from services.backbone.ops.endpoints import OperationsEndpoints
from services.backbone.ops.todo import TodoOut, dead_letter_items, todo_answer
from services.backbone.web.paging import paged
from services.backbone.kernel.ids import path_id
from services.contracts.vocabulary import ROLES

from .application import NotificationsApplication
from .backfill import BackfillRunner
from .schemas import (
    BackfillRequest,
    ChangeRequest,
    DeliveryOut,
    DeliveryQuery,
    DeliveryRowOut,
    InboxQuery,
    SubscribeRequest,
    SubscriptionOut,
    SubscriptionQuery,
    SubscriptionRowOut,
)
from .sender import DeliverySender

# The answers that wrap rows, named for the OpenAPI document.
Subscriptions = listing("Subscriptions", "subscriptions", SubscriptionRowOut, paged=True)
Deliveries = listing("Deliveries", "deliveries", DeliveryRowOut, paged=True)
Inbox = listing("Inbox", "items", DeliveryRowOut, paged=True, unread=fields.Integer(required=True))
Unread = answer("UnreadCount", unread=fields.Integer(required=True))
# A new webhook subscription's answer, the only one that carries its secret.
Subscribed = type("Subscribed", (SubscriptionOut,), {"channel": fields.Nested(
    answer("ChannelWithSecret", kind=fields.String(), url=fields.String(), address=fields.String(),
           secret=fields.String()))})
# the path names the subscription: the query gives the rest of a deliveries' filter
SubscriptionDeliveriesQuery = DeliveryQuery(exclude=("subscription_id",))

# people and offices; not the console's administrators, who manage accounts only
TODO_UNREAD = 100  # the 待办 page lists the newest unread; the inbox pages through the rest
SUBSCRIBERS = tuple(role for role in ROLES if role not in ("service", "admin"))


class NotificationsService(PublishedLog, OperationsEndpoints):
    """Subscriptions of departments, counties and bases; every event delivered to them."""

    name = "notifications"

    app = EventStore(NotificationsApplication)
    caller = Caller()
    sender = DeliverySender()
    backfills = BackfillRunner()
    registry_events = Subscription("registry")
    evaluation_events = Subscription("evaluation")
    funding_events = Subscription("funding")

    @http("GET", "/health", public=True, response=Health)
    def health(self, request):
        """Liveness and readiness: the store answers, the relay and the sender run.
        Public: whether the sender fails, not why (its error names database hosts and
        users; /ops/status gives it to ops)."""
        status, body = PublishedLog.health(self, request)
        sender = self.sender
        running = sender is not None and sender.running
        body["checks"]["sender"] = ("failing" if sender.last_error else "running") if running else "stopped"
        backfills = self.backfills
        running = backfills is not None and backfills.running
        body["checks"]["backfills"] = ("failing" if backfills.last_error else "running") if running else "stopped"
        return status, body

    # -- subscriptions ------------------------------------------------------------------------

    @http("POST", "/subscriptions", roles=SUBSCRIBERS, body=SubscribeRequest, response=Subscribed)
    def http_subscribe(self, request):
        return 201, self.subscribe(**read_json(request))

    @rpc(roles=SUBSCRIBERS)
    def subscribe(self, **subscription):
        """Subscribes the caller; a webhook's secret is in this response and no other."""
        data = validated(SubscribeRequest(), subscription)
        call = self.caller
        created = self.app.subscribe(**data, actor=call.actor, ctx=call.context)
        out = SubscriptionOut().dump(created)
        if "secret" in created.channel:
            out["channel"]["secret"] = created.channel["secret"]
        return out

    @http("GET", "/subscriptions", query=SubscriptionQuery, response=Subscriptions)
    def http_list_subscriptions(self, request):
        return self.list_subscriptions(**read_query(request))

    @rpc
    def list_subscriptions(self, **query):
        """The caller's subscriptions (the DRC and ops: everyone's, or one owner's)."""
        rows, page = paged(validated(SubscriptionQuery(), query),
                           partial(self.app.list_subscriptions, self.caller.actor))
        return {"subscriptions": SubscriptionRowOut(many=True).dump(rows), **page}

    @http("GET", "/subscriptions/<uuid:subscription_id>", response=SubscriptionOut,
           summary="One subscription, as its owner (or ops) may read it; never with its secret.")
    def http_get_subscription(self, request, subscription_id):
        return self.get_subscription(str(subscription_id))

    @rpc
    def get_subscription(self, subscription_id):
        found = self.app.get_subscription(path_id(subscription_id), self.caller.actor)
        return SubscriptionOut().dump(found)

    @http("PATCH", "/subscriptions/<uuid:subscription_id>", roles=SUBSCRIBERS, body=ChangeRequest,
           response=SubscriptionOut)
    def http_change_subscription(self, request, subscription_id):
        return self.change_subscription(str(subscription_id), **read_json(request))

    @rpc(roles=SUBSCRIBERS)
    def change_subscription(self, subscription_id, **changes):
        """Changes label, filter (replaced whole) or destination; the owner only."""
        data = validated(ChangeRequest(), changes)
        call = self.caller
        changed = self.app.change_subscription(path_id(subscription_id), **data,
                                               actor=call.actor, ctx=call.context)
        return SubscriptionOut().dump(changed)

    @http("DELETE", "/subscriptions/<uuid:subscription_id>", roles=SUBSCRIBERS, response=SubscriptionOut)
    def http_cancel_subscription(self, request, subscription_id):
        return self.cancel_subscription(str(subscription_id))

    @rpc(roles=SUBSCRIBERS)
    def cancel_subscription(self, subscription_id):
        """Cancels a subscription (its owner, the DRC or ops)."""
        call = self.caller
        cancelled = self.app.cancel_subscription(path_id(subscription_id), actor=call.actor,
                                                 ctx=call.context)
        return SubscriptionOut().dump(cancelled)

    # -- backfill: the events before the subscription ---------------------------------------

    @http("POST", "/subscriptions/<uuid:subscription_id>/backfill", roles=SUBSCRIBERS, body=BackfillRequest,
           response=SubscriptionOut, status=202)
    def http_start_backfill(self, request, subscription_id):
        return 202, self.start_backfill(str(subscription_id), **read_json(request))

    @rpc(roles=SUBSCRIBERS)
    def start_backfill(self, subscription_id, **backfill):
        """Delivers the events before the subscription (``from``: "beginning" or a
        date), paced; its progress is the subscription's ``backfill``."""
        data = validated(BackfillRequest(), backfill)
        call = self.caller
        started = self.app.start_backfill(path_id(subscription_id), data, actor=call.actor,
                                          ctx=call.context)
        return SubscriptionOut().dump(started)

    @http("DELETE", "/subscriptions/<uuid:subscription_id>/backfill", roles=SUBSCRIBERS,
           response=SubscriptionOut)
    def http_cancel_backfill(self, request, subscription_id):
        return self.cancel_backfill(str(subscription_id))

    @rpc(roles=SUBSCRIBERS)
    def cancel_backfill(self, subscription_id):
        """Stops the history (owner, DRC or ops); the live events it held back still come."""
        call = self.caller
        cancelled = self.app.cancel_backfill(path_id(subscription_id), actor=call.actor,
                                             ctx=call.context)
        return SubscriptionOut().dump(cancelled)

    # -- deliveries -------------------------------------------------------------------------------

    @http("GET", "/subscriptions/<uuid:subscription_id>/deliveries", query=SubscriptionDeliveriesQuery,
           response=Deliveries)
    def http_subscription_deliveries(self, request, subscription_id):
        return self.list_deliveries(**read_query(request), subscription_id=str(subscription_id))

    @http("GET", "/deliveries", query=DeliveryQuery, response=Deliveries)
    def http_list_deliveries(self, request):
        return self.list_deliveries(**read_query(request))

    @rpc
    def list_deliveries(self, **query):
        """Deliveries by subscription and status, newest first (own, or all for DRC/ops)."""
        rows, page = paged(validated(DeliveryQuery(), query),
                           partial(self.app.list_deliveries, self.caller.actor))
        return {"deliveries": DeliveryRowOut(many=True).dump(rows), **page}

    @http("GET", "/deliveries/<uuid:delivery_id>", response=DeliveryOut)
    def http_get_delivery(self, request, delivery_id):
        return self.get_delivery(str(delivery_id))

    @rpc
    def get_delivery(self, delivery_id):
        """One delivery with every attempt, its outcome and error, and the event."""
        return DeliveryOut().dump(self.app.get_delivery(path_id(delivery_id), self.caller.actor))

    @http("POST", "/deliveries/<uuid:delivery_id>/resend", roles=("ops",), response=DeliveryOut, status=202)
    def http_resend_delivery(self, request, delivery_id):
        return 202, self.resend_delivery(str(delivery_id))

    @rpc(roles=("ops",))
    def resend_delivery(self, delivery_id):
        """Sends a delivered or failed delivery again (same delivery id)."""
        call = self.caller
        delivery = self.app.resend(path_id(delivery_id), actor=call.actor, ctx=call.context)
        return DeliveryOut().dump(delivery)

    # -- inbox -----------------------------------------------------------------------------------

    @http("GET", "/inbox", query=InboxQuery, response=Inbox)
    def http_inbox(self, request):
        return self.inbox(**read_query(request))

    @rpc
    def inbox(self, **query):
        """The caller's inbox, newest first; ``unread=true`` for unread items only."""
        actor = self.caller.actor
        rows, page = paged(validated(InboxQuery(), query), partial(self.app.inbox, actor))
        return {"items": DeliveryRowOut(many=True).dump(rows), **page,
                "unread": self.app.unread_count(actor)}

    @http("GET", "/inbox/unread-count", response=Unread, summary="How many items of the caller's inbox are unread.")
    def http_unread_count(self, request):
        return self.unread_count()

    @rpc
    def unread_count(self):
        return {"unread": self.app.unread_count(self.caller.actor)}

    @http("POST", "/inbox/<uuid:delivery_id>/read", roles=SUBSCRIBERS, response=DeliveryOut, status=200)
    def http_mark_read(self, request, delivery_id):
        return self.mark_read(str(delivery_id))

    @rpc(roles=SUBSCRIBERS)
    def mark_read(self, delivery_id):
        """Marks an item of the caller's inbox read (again: no change)."""
        call = self.caller
        delivery = self.app.mark_read(path_id(delivery_id), actor=call.actor, ctx=call.context)
        return DeliveryOut().dump(delivery)

    # -- the console's 待办 (issue 25) -------------------------------------------------------------

    @http("GET", "/todo", response=TodoOut)
    def http_todo(self, request):
        return self.todo()

    @rpc
    def todo(self):
        """What waits for the caller here: its unread inbox items (the newest 100), and
        for ops this service's dead letters."""
        actor = self.caller.actor
        unread = self.app.inbox(actor, unread=True)
        items = [{"task": "read_notification", "base_id": None, "base_name": row["title"],
                  "since": row["created_at"], "link": "/inbox"} for row in unread[:TODO_UNREAD]]
        letters = dead_letter_items(self.operations, actor)
        return schema(TodoOut).dump(todo_answer(items + letters, total=len(unread) + len(letters)))
