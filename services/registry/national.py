"""The registry's record of a base's national standing (推荐申报国家级), learned from
evaluation's national-call events: candidate, withdrawn by the notice, recommended,
selected or not selected, with the call and the document that decided it.

Why a record apart from the status of record: a later round's BaseAdjusted changes the
provincial status and must not erase that the base was recommended to, or selected by,
the national authorities. An application mixin of ``RegistryApplication``.
"""

from uuid import UUID

from services.backbone.eventstore.application import reacts_to

from .domain import Base


class NationalStanding:
    """Mixin: reactions to NationalCandidatesChosen, NoticeConcluded (withdrawals from a
    national notice), NationalRecommendationSubmitted and NationalOutcomeRecorded."""

    @reacts_to("NationalCandidatesChosen")
    def record_national_candidates(self, event, processing) -> None:
        payload = event.payload
        self._national(event, processing, [row["base_id"] for row in payload["candidates"]],
                       status="candidate", call_id=payload["call_id"])

    @reacts_to("NoticeConcluded")
    def record_national_withdrawals(self, event, processing) -> None:
        payload = event.payload
        if payload["purpose"] != "national_recommendation":
            return
        self._national(event, processing, [row["base_id"] for row in payload["withdrawn"]],
                       status="withdrawn", only_if="candidate")

    @reacts_to("NationalRecommendationSubmitted")
    def record_national_submission(self, event, processing) -> None:
        payload = event.payload
        self._national(event, processing, payload["base_ids"], status="recommended",
                       call_id=payload["call_id"], document_number=payload["document_number"],
                       effective_on=payload["submitted_on"])

    @reacts_to("NationalOutcomeRecorded")
    def record_national_outcome(self, event, processing) -> None:
        payload = event.payload
        self._national(event, processing, [payload["base_id"]],
                       status="selected" if payload["selected"] else "not_selected",
                       call_id=payload["call_id"], document_number=payload["document_number"],
                       effective_on=payload["effective_on"])

    def _national(self, event, processing, base_ids: list[UUID], *, status: str,
                  call_id: UUID | None = None, only_if: str | None = None, **facts) -> None:
        for base_id in base_ids:
            base = self.find(base_id, Base)
            if base is None:
                continue  # not a base this registry knows (never the case in one platform)
            before = base.national or {}
            if only_if is not None and before.get("status") != only_if:
                continue
            base.record_national(status=status, call_id=call_id or before.get("call_id"),
                                 document_number=facts.get("document_number"),
                                 effective_on=facts.get("effective_on"),
                                 ctx=self.upstream_context(event))
            processing.collect_events(base)
