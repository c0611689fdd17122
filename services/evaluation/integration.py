"""What the evaluation service publishes: its domain events as contract events.

Batches opening and closing (the registry accepts declarations only inside an open
batch's window), every decision on a base (BaseAdjusted), and each closed evaluation
round with its grades, and each annual self-evaluation submitted (AnnualReportSubmitted,
without its narratives). Assignments, score sheets and metrics stay internal.
"""

from services.backbone.eventstore.application import Publications

from .annual import AnnualReporting
from .domain import Base, Batch, Round
from .national import NationalCall
from .notices import Notice
from .effective import effective_day
from .policy import BEIJING

publications = Publications()
GRADE_FACTS = ("base_id", "score", "grade", "rubric_version")


@publications.maps(Batch.Opened)
def batch_opened(event: Batch.Opened) -> tuple[str, dict]:
    return "BatchOpened", {
        "batch_id": event.originator_id,
        "name": event.name,
        "opens_at": event.opens_at,
        "closes_at": event.closes_at,
        "quota": event.quota,
    }


@publications.maps(Batch.Closed)
def batch_closed(event: Batch.Closed) -> tuple[str, dict]:
    return "BatchClosed", {"batch_id": event.originator_id}


@publications.maps(Base.Adjusted)
def base_adjusted(event: Base.Adjusted) -> tuple[str, dict]:
    return "BaseAdjusted", {
        "base_id": event.originator_id,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
        "basis": event.basis,
        "batch_id": event.batch_id,
        "round_id": event.round_id,
        "score": event.score,
        "grade": event.grade,
        "rubric_version": event.rubric_version,
        "policy_version": event.policy_version,
        "rectification_deadline": event.rectification_deadline,
        # decisions logged before effective dates: effective the day they were taken
        "effective_on": effective_day(event) or event.timestamp.astimezone(BEIJING).date(),
        "entered_at": event.timestamp,
        "document_number": getattr(event, "document_number", None),
        "document": getattr(event, "document", None),
        "status_after": getattr(event, "status_after", None) or event.to_status,
    }


@publications.maps(Round.Closed)
def round_closed(event: Round.Closed) -> tuple[str, dict]:
    return "RoundClosed", {
        "round_id": event.originator_id,
        "kind": event.kind,
        "name": event.name,
        "period": event.period,
        "policy_version": event.policy_version,
        "policy_reason": getattr(event, "policy_reason", None),
        "closed_at": event.closed_at,
        # the contract's four facts of a grade (a capped grade's note is in its decision)
        "grades": [{key: row[key] for key in GRADE_FACTS} for row in event.grades],
        "withdrawn": getattr(event, "withdrawn", None) or [],  # none in rounds closed before
    }


@publications.maps(AnnualReporting.Submitted)
def annual_report_submitted(event: AnnualReporting.Submitted) -> tuple[str, dict]:
    return "AnnualReportSubmitted", {
        "base_id": event.base_id,
        "name": event.name,
        "kind": event.kind,
        "year": event.year,
        "version": event.version,
        "plan_version": event.plan_version,
        "submitted_at": event.submitted_at,
        "figures": event.figures,
        "comparison": event.comparison,
        "documents": event.documents,
    }


# -- public notice (公示): each step, for departments to follow; no objector's name or contact

@publications.maps(Notice.Published)
def notice_published(event: Notice.Published) -> tuple[str, dict]:
    return "NoticePublished", {
        "notice_id": event.originator_id, "title": event.title, "purpose": event.purpose,
        "batch_id": event.batch_id, "entries": event.entries, "starts_on": event.starts_on,
        "working_days": event.working_days, "ends_at": event.ends_at,
        "calendar_version": event.calendar_version, "contact": event.contact,
    }


@publications.maps(Notice.ObjectionLodged)
def objection_lodged(event: Notice.ObjectionLodged) -> tuple[str, dict]:
    return "ObjectionLodged", {
        "notice_id": event.originator_id, "objection_id": event.objection_id,
        "base_id": event.base_id, "text": event.text, "documents": event.documents,
        "lodged_at": event.lodged_at,
    }


@publications.maps(Notice.ObjectionAnswered)
def objection_answered(event: Notice.ObjectionAnswered) -> tuple[str, dict]:
    return "ObjectionAnswered", {
        "notice_id": event.originator_id, "objection_id": event.objection_id,
        "base_id": event.base_id, "upheld": event.upheld, "reasons": event.reasons,
        "answered_at": event.answered_at,
    }


@publications.maps(Notice.Concluded)
def notice_concluded(event: Notice.Concluded) -> tuple[str, dict]:
    notice_facts = {"purpose": event.purpose, "batch_id": event.batch_id}
    return "NoticeConcluded", {
        "notice_id": event.originator_id, **notice_facts, "standing": event.standing,
        "withdrawn": event.withdrawn, "concluded_at": event.concluded_at,
    }


@publications.maps(Base.DecisionPublished)
def decision_published(event: Base.DecisionPublished) -> tuple[str, dict]:
    return "DecisionPublished", {
        "base_id": event.originator_id, "number": event.number,
        "document_number": event.document_number, "document": event.document,
        "published_at": event.timestamp,
    }


# -- the national recommendation: each step, a dimension apart from provincial status

@publications.maps(NationalCall.Opened)
def national_call_opened(event: NationalCall.Opened) -> tuple[str, dict]:
    return "NationalCallOpened", {
        "call_id": event.originator_id, "year": event.year, "quota": event.quota,
        "minimum_grade": event.minimum_grade, "round_id": event.round_id,
        "round_name": event.round_name, "opened_at": event.opened_at,
    }


@publications.maps(NationalCall.CandidatesChosen)
def national_candidates_chosen(event: NationalCall.CandidatesChosen) -> tuple[str, dict]:
    return "NationalCandidatesChosen", {
        "call_id": event.originator_id, "year": event.year, "candidates": event.candidates,
        "passed_over": event.passed_over, "chosen_at": event.chosen_at,
    }


@publications.maps(NationalCall.Submitted)
def national_recommendation_submitted(event: NationalCall.Submitted) -> tuple[str, dict]:
    return "NationalRecommendationSubmitted", {
        "call_id": event.originator_id, "year": event.year, "base_ids": event.base_ids,
        "document_number": event.document_number, "submitted_on": event.submitted_on,
        "submitted_at": event.submitted_at,
    }


@publications.maps(NationalCall.OutcomeRecorded)
def national_outcome_recorded(event: NationalCall.OutcomeRecorded) -> tuple[str, dict]:
    return "NationalOutcomeRecorded", {
        "call_id": event.originator_id, "year": event.year, "base_id": event.base_id,
        "selected": event.selected, "document_number": event.document_number,
        "effective_on": event.effective_on, "reason": event.reason,
        "recorded_at": event.recorded_at,
    }

