"""Budget envelopes and allocations: funding's aggregates, and how a change of a base's
standing reaches its allocations. Pure.

Each aggregate guards what only it can know:

- ``Envelope``: the money of one fund source for one fiscal year. It refuses an
  allocation beyond what remains or beyond a cap (per kind of base, per base), and gets
  money back when tranches are cancelled (at once) or paid money is recovered (as it is
  recovered). Every allocation changes it, so two allocations racing for the same money
  conflict in the store and the loser checks again (optimistic concurrency).
- ``Allocation``: an amount granted to one base from one envelope, in tranches that each
  wait for a milestone. Tranches are paid (拨付), held, or cancelled; paid money may have
  to be recovered (追回).
- ``BaseStanding`` (eligibility.py): what funding knows of a base, hence whether it
  may be funded.

When a base is warned (警示整改) its pending tranches are *held*, not cancelled: the
policy asks a warned base to rectify, and rectified bases are retained, so their money
should still be there. A held tranche cannot be paid; the hold is lifted when the base is
eligible again. When a base is revoked (撤销) its pending tranches (held or not) are
cancelled and what was paid is to be recovered.

Each public method checks its rule, then records one event through a private ``@event``
method whose body is the state change only (it also runs on replay).
"""

from decimal import Decimal
from typing import Any, Iterable
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.documents import attached_before
from services.backbone.kernel.context import Context, stable_id
from services.backbone.kernel.errors import Conflict, NotFound, RuleViolation, field_error
from services.contracts.funding import FUND_SOURCES
from services.contracts.vocabulary import KINDS, STATUSES

from .eligibility import BaseStanding
from .milestones import check_payable_in_order, milestone_code, require_milestone

ZERO = Decimal("0.00")
RETURN_REASONS = ("cancelled", "recovered")


def require_money(field: str, amount: Decimal) -> None:
    """Money is a Decimal of whole fen, strictly positive: never a float, never zero."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise field_error(field, "must be a decimal amount of yuan")
    if amount.as_tuple().exponent < -2:
        raise field_error(field, "has at most two decimal places (fen)")
    if amount <= 0:
        raise field_error(field, "must be greater than 0")


def normalize_text(text: str) -> str:
    """Names and milestones compare without surrounding or doubled spaces."""
    return " ".join(text.split())


class Envelope(Aggregate):
    """A budget envelope (预算): one fund source, one fiscal year, a total and caps."""

    @staticmethod
    def create_id(fiscal_year: int, fund_source: str, name: str, **_: Any) -> UUID:
        """One envelope per year, source and name: opening it twice collides."""
        return stable_id("envelope", fiscal_year, fund_source, normalize_text(name))

    @classmethod
    def open(cls, *, fiscal_year: int, fund_source: str, name: str, total: Decimal,
             caps_by_kind: dict[str, Decimal], caps_by_base: dict[UUID, Decimal],
             ctx: Context) -> "Envelope":
        """Opens an envelope after checking its amounts: caps are positive and within
        the total, and name kinds of base."""
        if fund_source not in FUND_SOURCES:
            raise field_error("fund_source", f"unknown fund source {fund_source!r}")
        require_money("total", total)
        for kind, cap in caps_by_kind.items():
            if kind not in KINDS:
                raise field_error("caps.by_kind", f"unknown kind of base {kind!r}")
            _check_cap(f"caps.by_kind.{kind}", cap, total)
        for base_id, cap in caps_by_base.items():
            _check_cap(f"caps.by_base.{base_id}", cap, total)
        return cls(fiscal_year=fiscal_year, fund_source=fund_source, name=normalize_text(name),
                   total=total, caps_by_kind=dict(caps_by_kind),
                   caps_by_base={str(b): cap for b, cap in caps_by_base.items()}, ctx=ctx)

    @event("Opened")
    def __init__(self, fiscal_year: int, fund_source: str, name: str, total: Decimal,
                 caps_by_kind: dict[str, Decimal], caps_by_base: dict[str, Decimal],
                 ctx: Context):
        self.fiscal_year = fiscal_year
        self.fund_source = fund_source
        self.name = name
        self.total = total
        self.caps_by_kind = dict(caps_by_kind)
        self.caps_by_base = dict(caps_by_base)
        self.allocated = ZERO
        self.returned = ZERO
        # allocation id (str) -> {"base_id", "kind", "amount"}: what is still committed
        self.commitments: dict[str, dict] = {}

    @property
    def remaining(self) -> Decimal:
        """Total, less what was allocated, plus what came back (cancelled, recovered)."""
        return self.total - self.allocated + self.returned

    def committed_to(self, *, kind: str | None = None, base_id: UUID | None = None) -> Decimal:
        """What is still committed to bases of a kind, or to one base."""
        return sum((c["amount"] for c in self.commitments.values()
                    if (kind is None or c["kind"] == kind)
                    and (base_id is None or c["base_id"] == base_id)), ZERO)

    def allocate(self, *, allocation_id: UUID, base_id: UUID, kind: str, amount: Decimal,
                 ctx: Context) -> None:
        """Commits money to an allocation, within what remains and within the caps."""
        require_money("amount", amount)
        if str(allocation_id) in self.commitments:
            raise Conflict(f"Allocation {allocation_id} is already committed.")
        if amount > self.remaining:
            raise field_error("amount", f"{amount} is more than the {self.remaining} remaining "
                                        f"in envelope {self.name} (total {self.total})")
        kind_cap, to_kind = self.caps_by_kind.get(kind), self.committed_to(kind=kind)
        if kind_cap is not None and to_kind + amount > kind_cap:
            raise field_error("amount", f"{amount} would exceed the cap of {kind_cap} for "
                                        f"{KINDS[kind]} ({kind}) bases in envelope {self.name}; "
                                        f"{to_kind} is already committed")
        base_cap, to_base = self.caps_by_base.get(str(base_id)), self.committed_to(base_id=base_id)
        if base_cap is not None and to_base + amount > base_cap:
            raise field_error("amount", f"{amount} would exceed the cap of {base_cap} for base "
                                        f"{base_id} in envelope {self.name}; {to_base} is "
                                        "already committed")
        self._committed(allocation_id=allocation_id, base_id=base_id, kind=kind, amount=amount,
                        ctx=ctx)

    @event("Committed")
    def _committed(self, allocation_id: UUID, base_id: UUID, kind: str, amount: Decimal,
                   ctx: Context) -> None:
        self.allocated += amount
        self.commitments[str(allocation_id)] = {"base_id": base_id, "kind": kind, "amount": amount}

    def give_back(self, *, allocation_id: UUID, amount: Decimal, reason: str,
                  ctx: Context) -> None:
        """Money of an allocation comes back: its tranches were cancelled, or paid money
        was recovered. Never more than the allocation still has committed."""
        require_money("amount", amount)
        if reason not in RETURN_REASONS:
            raise ValueError(f"reason must be one of {RETURN_REASONS}")
        commitment = self.commitments.get(str(allocation_id))
        if commitment is None or amount > commitment["amount"]:
            raise RuleViolation(f"Envelope {self.name} cannot take back {amount} for "
                                f"allocation {allocation_id}: it is not committed there.")
        self._returned(allocation_id=allocation_id, base_id=commitment["base_id"], amount=amount,
                       reason=reason, ctx=ctx)

    @event("Returned")
    def _returned(self, allocation_id: UUID, base_id: UUID, amount: Decimal, reason: str,
                  ctx: Context) -> None:
        self.returned += amount
        self.commitments[str(allocation_id)]["amount"] -= amount


def _check_cap(field: str, cap: Decimal, total: Decimal) -> None:
    require_money(field, cap)
    if cap > total:
        raise field_error(field, f"the cap {cap} is more than the envelope's total {total}")


def check_tranches(amount: Decimal, tranches: list[dict]) -> None:
    """Tranches are positive parts of the amount with a milestone each; they add up."""
    if not 1 <= len(tranches) <= 24:
        raise field_error("tranches", "an allocation has from 1 to 24 tranches")
    for tranche in tranches:
        require_money("tranches", tranche["amount"])
        require_milestone("tranches", tranche["milestone"])
    total = sum((t["amount"] for t in tranches), ZERO)
    if total != amount:
        raise field_error("tranches", f"the tranches add up to {total}, not to the amount {amount}")


class Allocation(Aggregate):
    """Budget support granted to one base from one envelope, paid in tranches."""

    @staticmethod
    def create_id(idempotency_key: str, ctx: Context, **_: Any) -> UUID:
        """The client's idempotency key, as its own (with the actor's id), names the
        allocation: a retry finds the first, while another user of the funding office
        who picked the same simple key ("1") gets an allocation of its own, neither a
        409 quoting someone else's allocation nor someone else's allocation back."""
        return stable_id("allocation", ctx.actor_id, idempotency_key)

    @classmethod
    def allocate(cls, *, idempotency_key: str, base_id: UUID, envelope: Envelope,
                 amount: Decimal, purpose: str, tranches: list[dict],
                 ctx: Context) -> "Allocation":
        """A new allocation whose tranches add up to its amount; tranche ids follow from
        the allocation's, so that the same request always describes the same tranches."""
        require_money("amount", amount)
        check_tranches(amount, tranches)
        allocation_id = cls.create_id(idempotency_key, ctx)
        numbered = [{"tranche_id": stable_id("tranche", allocation_id, number),
                     "amount": tranche["amount"], "milestone": milestone_code(tranche["milestone"])}
                    for number, tranche in enumerate(tranches, start=1)]
        return cls(idempotency_key=idempotency_key, base_id=base_id, envelope_id=envelope.id,
                   fiscal_year=envelope.fiscal_year, fund_source=envelope.fund_source,
                   amount=amount, purpose=purpose, tranches=numbered, ctx=ctx)

    @event("Allocated")
    def __init__(self, idempotency_key: str, base_id: UUID, envelope_id: UUID,
                 fiscal_year: int, fund_source: str, amount: Decimal, purpose: str,
                 tranches: list[dict], ctx: Context):
        self.idempotency_key = idempotency_key
        self.base_id = base_id
        self.envelope_id = envelope_id
        self.fiscal_year = fiscal_year
        self.fund_source = fund_source
        self.amount = amount
        self.purpose = purpose
        self.tranches = [dict(t, state="pending", reference=None) for t in tranches]
        self.hold_reason: str | None = None
        self.withdrawn_reason: str | None = None
        self.recovery_demanded = ZERO
        self.recovered = ZERO
        self.recoveries: dict[UUID, Decimal] = {}
        self.documents: list[dict] = []  # payment vouchers (拨付凭证) of its paid tranches

    # -- what it amounts to ------------------------------------------------------------------

    @property
    def ref(self) -> dict:
        """Carried by each of its later events, so that every event says whose money
        it is and from where (departments keep ledgers from the events alone)."""
        return {"base_id": self.base_id, "envelope_id": self.envelope_id,
                "fiscal_year": self.fiscal_year, "fund_source": self.fund_source}

    def total_of(self, state: str) -> Decimal:
        return sum((t["amount"] for t in self.tranches if t["state"] == state), ZERO)

    @property
    def outstanding_recovery(self) -> Decimal:
        return self.recovery_demanded - self.recovered

    @property
    def status(self) -> str:
        return allocation_status(
            withdrawn=self.withdrawn_reason is not None, held=self.hold_reason is not None,
            pending=self.total_of("pending"), demanded=self.recovery_demanded,
            recovered=self.recovered)

    def is_same_request(self, *, base_id: UUID, envelope_id: UUID, amount: Decimal,
                        purpose: str, tranches: list[dict]) -> bool:
        """Whether a retry with this allocation's idempotency key asks for the same thing."""
        asked = [(t["amount"], milestone_code(t["milestone"]) or normalize_text(t["milestone"]))
                 for t in tranches]
        mine = [(t["amount"], t["milestone"]) for t in self.tranches]
        return (base_id, envelope_id, amount, purpose, asked) == (
            self.base_id, self.envelope_id, self.amount, self.purpose, mine)

    def tranche(self, tranche_id: UUID) -> dict:
        for tranche in self.tranches:
            if tranche["tranche_id"] == tranche_id:
                return tranche
        raise field_error("tranche_id", f"allocation {self.id} has no tranche {tranche_id}",
                          NotFound)

    # -- paying ------------------------------------------------------------------------------

    def disburse(self, *, tranche_id: UUID, milestone: str, reference: str | None,
                 reached: set[str], ctx: Context) -> dict:
        """Pays (拨付) a pending tranche the funding office names by its milestone, after
        the tranches before it, once the base has ``reached`` that step."""
        tranche = self.tranche(tranche_id)
        if tranche["state"] == "disbursed":
            raise field_error("tranche_id", f"tranche {tranche_id} is already disbursed", Conflict)
        if tranche["state"] == "cancelled":
            raise field_error("tranche_id", f"tranche {tranche_id} was cancelled: "
                                            f"{self.withdrawn_reason}")
        if self.hold_reason is not None:
            raise field_error("tranche_id", f"tranche {tranche_id} is held: {self.hold_reason}")
        if (milestone_code(milestone) or normalize_text(milestone)) != tranche["milestone"]:
            raise field_error("milestone", f"tranche {tranche_id} waits for the milestone "
                                           f"{tranche['milestone']!r}, not {milestone!r}")
        check_payable_in_order(self.tranches, tranche, reached)
        self._tranche_disbursed(ref=self.ref, tranche_id=tranche_id, amount=tranche["amount"],
                                milestone=tranche["milestone"], reference=reference, ctx=ctx)
        return tranche

    @event("TrancheDisbursed")
    def _tranche_disbursed(self, ref: dict, tranche_id: UUID, amount: Decimal, milestone: str,
                           reference: str | None, ctx: Context) -> None:
        tranche = self.tranche(tranche_id)
        tranche["state"] = "disbursed"
        tranche["reference"] = reference

    def attach_document(self, *, document: dict, ctx: Context) -> dict:
        """Attaches a payment's document (its voucher, ``kernel.documents``) to a paid
        tranche; the same document again answers the first record."""
        self.check_attachable(document["attached_to"]["tranche_id"])
        earlier = attached_before(self.documents, document)
        if earlier is not None:
            return earlier
        self._document_attached(ref=self.ref, document=document, ctx=ctx)
        return document

    def check_attachable(self, tranche_id: UUID) -> None:
        """A payment's documents are attached to a paid tranche."""
        if self.tranche(tranche_id)["state"] != "disbursed":
            raise field_error("tranche_id", f"tranche {tranche_id} is not paid: a payment's "
                                            "documents are attached once it is")

    @event("DocumentAttached")
    def _document_attached(self, ref: dict, document: dict, ctx: Context) -> None:
        self.documents.append(document)

    # -- the base's standing changed -----------------------------------------------------------

    def hold(self, *, reason: str, ctx: Context) -> bool:
        """Holds the pending tranches while the base is not eligible (warned)."""
        if self.hold_reason is not None or self.withdrawn_reason is not None \
                or not self.total_of("pending"):
            return False
        self._held(ref=self.ref, reason=reason, ctx=ctx)
        return True

    @event("Held")
    def _held(self, ref: dict, reason: str, ctx: Context) -> None:
        self.hold_reason = reason

    def release_hold(self, *, ctx: Context) -> bool:
        """Lifts the hold once the base is eligible again (retained after rectifying)."""
        if self.hold_reason is None:
            return False
        self._hold_released(ref=self.ref, ctx=ctx)
        return True

    @event("HoldReleased")
    def _hold_released(self, ref: dict, ctx: Context) -> None:
        self.hold_reason = None

    def withdraw(self, *, reason: str, ctx: Context) -> Decimal:
        """The base was revoked: cancels the pending tranches and demands back what was
        paid. Returns the amount cancelled (it goes back to the envelope at once)."""
        if self.withdrawn_reason is not None:
            return ZERO
        pending = [{key: t[key] for key in ("tranche_id", "amount", "milestone")}
                   for t in self.tranches if t["state"] == "pending"]
        cancelled = sum((t["amount"] for t in pending), ZERO)
        if pending:
            self._tranches_cancelled(ref=self.ref, tranches=pending, amount=cancelled,
                                     reason=reason, ctx=ctx)
        paid = self.total_of("disbursed")
        if paid:
            self._recovery_demanded(ref=self.ref, amount=paid, reason=reason, ctx=ctx)
        return cancelled

    @event("TranchesCancelled")
    def _tranches_cancelled(self, ref: dict, tranches: list[dict], amount: Decimal,
                            reason: str, ctx: Context) -> None:
        for cancelled in tranches:
            self.tranche(cancelled["tranche_id"])["state"] = "cancelled"
        self.withdrawn_reason = reason
        self.hold_reason = None

    @event("RecoveryDemanded")
    def _recovery_demanded(self, ref: dict, amount: Decimal, reason: str, ctx: Context) -> None:
        self.recovery_demanded += amount
        self.withdrawn_reason = reason
        self.hold_reason = None

    def record_recovery(self, *, recovery_id: UUID, amount: Decimal, reference: str | None,
                        ctx: Context) -> bool:
        """Records money recovered from the base (in one or several parts). False when
        this recovery was already recorded (a client's retry)."""
        if recovery_id in self.recoveries:
            if self.recoveries[recovery_id] != amount:
                raise Conflict(f"Recovery {recovery_id} was recorded with another amount "
                               f"({self.recoveries[recovery_id]}).")
            return False
        require_money("amount", amount)
        if not self.outstanding_recovery:
            raise field_error("allocation_id", f"Nothing is to be recovered on allocation "
                                               f"{self.id}: {self._why_nothing_to_recover()}")
        if amount > self.outstanding_recovery:
            raise field_error("amount", f"{amount} is more than the {self.outstanding_recovery} "
                                        "still to be recovered")
        self._recovered(ref=self.ref, recovery_id=recovery_id, amount=amount,
                        outstanding=self.outstanding_recovery - amount, reference=reference,
                        ctx=ctx)
        return True

    def _why_nothing_to_recover(self) -> str:
        if self.withdrawn_reason is None:
            return "its base was not revoked (money is recovered only from a revoked base)"
        if self.recovery_demanded:
            return f"all {self.recovery_demanded} demanded back is recovered"
        return "nothing of it had been paid (its tranches were cancelled)"

    @event("Recovered")
    def _recovered(self, ref: dict, recovery_id: UUID, amount: Decimal, outstanding: Decimal,
                   reference: str | None, ctx: Context) -> None:
        self.recovered += amount
        self.recoveries[recovery_id] = amount


def allocation_status(*, withdrawn: bool, held: bool, pending: Decimal, demanded: Decimal,
                      recovered: Decimal) -> str:
    """active (tranches to pay), held, completed (all paid); once the base is revoked:
    cancelled (nothing had been paid), recovering (paid money to recover), recovered."""
    if withdrawn:
        if not demanded:
            return "cancelled"
        return "recovered" if recovered == demanded else "recovering"
    if held:
        return "held"
    return "active" if pending else "completed"


def settle_allocations(standing: BaseStanding, allocations: Iterable[Allocation],
                       envelopes: dict[UUID, Envelope], reason: str, ctx: Context) -> None:
    """Applies a base's new status to its allocations: revoked, withdraw them and give
    the cancelled money back to its envelope; eligible, lift holds; otherwise, hold."""
    for allocation in allocations:
        if standing.status == "revoked":
            cancelled = allocation.withdraw(reason=reason, ctx=ctx)
            if cancelled:
                envelopes[allocation.envelope_id].give_back(
                    allocation_id=allocation.id, amount=cancelled, reason="cancelled", ctx=ctx)
        elif standing.is_eligible:
            allocation.release_hold(ctx=ctx)
        else:
            status = STATUSES.get(standing.status or "", standing.status)
            allocation.hold(reason=f"the base is {standing.status} ({status}): {reason}", ctx=ctx)
