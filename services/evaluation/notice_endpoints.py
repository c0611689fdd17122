"""The evaluation service's entrypoints for public notices (公示): the DRC publishes and
answers; the public reads current notices and lodges objections without signing in
(the platform's one unauthenticated write: limited per address, bounded in size, and
recorded as the ``public`` actor); a timer fires the deadlines that are due.

A mixin of ``EvaluationService``.
"""

import logging

from services.backbone.deadlines.timer import DeadlineTimer
from services.backbone.kernel.context import Actor, stable_id
from services.backbone.kernel.ids import path_id
from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_json
from services.backbone.web.ratelimit import InstanceLimit

from .notice_schemas import (AnswerRequest, CurrentNotices, NoticeDetailOut, NoticeOut,
                             ObjectionLodgedOut, ObjectionRequest, PublishNoticeRequest)

log = logging.getLogger(__name__)

DRC = ("drc",)
PUBLIC = Actor(id=stable_id("actor", "public"), role="public", name="公众")


class PublicNoticeEndpoints:
    """Public notices and objections."""

    # Per client address and instance: enough for a person with several objections, too
    # few to fill the log (a notice takes 500 at most anyway).
    objections_per_address = InstanceLimit(allowed=5, window_seconds=600)

    @http("POST", "/notices", roles=DRC, body=PublishNoticeRequest, response=NoticeDetailOut)
    def http_publish_notice(self, request):
        return 201, self.publish_notice(**read_json(request))

    @rpc(roles=DRC)
    def publish_notice(self, **notice):
        """Announces a proposed list (certification, revocation, national recommendation)
        for a period of working days."""
        data = validated(PublishNoticeRequest(), notice)
        published = self.app.publish_notice(**data, ctx=self.caller.context)
        return NoticeDetailOut().dump(self.app.notice(published.id))

    @http("GET", "/notices/current", public=True, response=CurrentNotices)
    def http_current_notices(self, request):
        """The notices whose period is running, for anyone (no objector's data)."""
        return {"notices": NoticeOut(many=True).dump(self.app.current_notices())}

    @http("POST", "/notices/<uuid:notice_id>/objections", public=True, body=ObjectionRequest,
           response=ObjectionLodgedOut)
    def http_lodge_objection(self, request, notice_id):
        """Anyone's objection to a base on a current notice, without signing in."""
        data = validated(ObjectionRequest(), read_json(request))  # a refusal writes nothing
        self.objections_per_address.check(request.remote_addr or "unknown")
        objection_id = self.app.lodge_objection(path_id(notice_id, "notice_id"), **data,
                                                ctx=PUBLIC.context(self.caller.correlation_id))
        return 201, ObjectionLodgedOut().dump({"objection_id": objection_id, "notice_id": notice_id})

    @http("GET", "/notices/<uuid:notice_id>", roles=DRC, response=NoticeDetailOut)
    def http_notice(self, request, notice_id):
        return self.notice(str(notice_id))

    @rpc(roles=DRC)
    def notice(self, notice_id):
        """A notice with its objections, who lodged them and the answers (the DRC only)."""
        return NoticeDetailOut().dump(self.app.notice(path_id(notice_id, "notice_id")))

    @http("POST", "/notices/<uuid:notice_id>/objections/<uuid:objection_id>/answer", roles=DRC,
           body=AnswerRequest, response=NoticeDetailOut)
    def http_answer_objection(self, request, notice_id, objection_id):
        return 201, self.answer_objection(str(notice_id), str(objection_id), **read_json(request))

    @rpc(roles=DRC)
    def answer_objection(self, notice_id, objection_id, **answer):
        """Upholds or dismisses an objection, with reasons (upheld: the base leaves the list)."""
        data = validated(AnswerRequest(), answer)
        self.app.answer_objection(path_id(notice_id, "notice_id"),
                                  path_id(objection_id, "objection_id"), **data,
                                  ctx=self.caller.context)
        return NoticeDetailOut().dump(self.app.notice(path_id(notice_id, "notice_id")))

    @DeadlineTimer.decorator()
    def fire_deadlines_on_schedule(self):
        """Fires every deadline that is due (a notice's period ending), as the platform."""
        fired = self.app.fire_due_deadlines()
        if fired:
            log.info("fired deadlines: %s", ", ".join(fired))
