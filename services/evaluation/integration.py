"""What the evaluation service publishes: its domain events as contract events.

Batches opening and closing (the registry accepts declarations only inside an open
batch's window), every decision on a base (BaseAdjusted), and each closed evaluation
round with its grades, and each annual self-evaluation submitted (AnnualReportSubmitted,
without its narratives). Assignments, score sheets and metrics stay internal.
"""

from services.backbone.eventstore.application import Publications

from .annual import AnnualReporting
from .domain import Base, Batch, Round

publications = Publications()


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
        "grades": event.grades,
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
