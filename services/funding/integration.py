"""What funding publishes: its domain events translated into contract events.

Published: envelopes opened, allocations, payments, cancellations, recovery demanded and
recovered. Internal: the standing of bases (a record of other services' events), holds
(a warned base's pending tranches; visible in the base's funding history), and the
envelope's own bookkeeping (its amounts follow from the published events).
"""

from services.backbone.eventstore.application import Publications

from .domain import Allocation, Envelope

publications = Publications()


@publications.maps(Envelope.Opened)
def envelope_opened(event: Envelope.Opened) -> tuple[str, dict]:
    return "BudgetEnvelopeOpened", {
        "envelope_id": event.originator_id,
        "name": event.name,
        "fiscal_year": event.fiscal_year,
        "fund_source": event.fund_source,
        "total": event.total,
        "caps_by_kind": [{"kind": kind, "amount": cap}
                         for kind, cap in sorted(event.caps_by_kind.items())],
        "caps_by_base": [{"base_id": base_id, "amount": cap}
                         for base_id, cap in sorted(event.caps_by_base.items())],
    }


@publications.maps(Allocation.Allocated)
def funding_allocated(event: Allocation.Allocated) -> tuple[str, dict]:
    return "FundingAllocated", {
        "allocation_id": event.originator_id,
        "base_id": event.base_id,
        "envelope_id": event.envelope_id,
        "fiscal_year": event.fiscal_year,
        "fund_source": event.fund_source,
        "amount": event.amount,
        "purpose": event.purpose,
        "tranches": event.tranches,
    }


@publications.maps(Allocation.TrancheDisbursed)
def funding_disbursed(event: Allocation.TrancheDisbursed) -> tuple[str, dict]:
    return "FundingDisbursed", {
        "allocation_id": event.originator_id, **event.ref,
        "tranche_id": event.tranche_id,
        "amount": event.amount,
        "milestone": event.milestone,
        "reference": event.reference,
    }


@publications.maps(Allocation.TranchesCancelled)
def funding_cancelled(event: Allocation.TranchesCancelled) -> tuple[str, dict]:
    return "FundingCancelled", {
        "allocation_id": event.originator_id, **event.ref,
        "amount": event.amount,
        "tranches": event.tranches,
        "reason": event.reason,
    }


@publications.maps(Allocation.RecoveryDemanded)
def funding_recovery_demanded(event: Allocation.RecoveryDemanded) -> tuple[str, dict]:
    return "FundingRecoveryDemanded", {
        "allocation_id": event.originator_id, **event.ref,
        "amount": event.amount,
        "reason": event.reason,
    }


@publications.maps(Allocation.Recovered)
def funding_recovered(event: Allocation.Recovered) -> tuple[str, dict]:
    return "FundingRecovered", {
        "allocation_id": event.originator_id, **event.ref,
        "recovery_id": event.recovery_id,
        "amount": event.amount,
        "outstanding": event.outstanding,
        "reference": event.reference,
    }
