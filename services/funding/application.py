"""The funding application: envelopes, allocations, payments and recovery; the standing
of bases recorded from the registry's and evaluation's events; and queries."""

from decimal import Decimal
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.application import ServiceApplication, reacts_to, retry_on_conflict
from services.backbone.eventstore.audit import describe_event
from services.backbone.kernel.documents import Upload, document_record
from services.backbone.kernel.context import Context, stable_id
from services.backbone.kernel.errors import Conflict, NotFound, field_error

from .domain import Allocation, Envelope, settle_allocations
from .eligibility import BaseStanding, ineligible_unknown_base
from .integration import publications
from . import summary
from .fund_statistics import FundsCensus
from .milestones import reached_by_decision
from .views import FundingLedger, ledger_csv

IDEMPOTENCY_FIELD = "Idempotency-Key"


class FundingApplication(ServiceApplication):
    """Budget envelopes per fiscal year and fund source; allocations to eligible bases,
    paid in tranches; cancellation and recovery when a base is revoked."""

    name = "funding"
    publications = publications
    # Allocations race for the money of one envelope; the losers re-check it after a
    # random pause (see retry_on_conflict). Set from the config section ``funding``.
    conflict_attempts = 30
    conflict_backoff_seconds = 0.02
    # Every allocation and every return of money is an event of its envelope, so an
    # envelope's history grows all year and every allocation loads it: a snapshot every
    # 50 events bounds that load (bench/snapshots.py measures it).
    snapshotting_intervals = {Envelope: 50}

    def construct_views(self):
        return [FundingLedger(), FundsCensus()]

    def configure(self, settings) -> None:
        """Applies the ``funding`` section of the platform's configuration."""
        self.conflict_attempts = settings.conflict_attempts
        self.conflict_backoff_seconds = settings.conflict_backoff_seconds

    # -- commands ----------------------------------------------------------------------

    def open_envelope(self, *, fiscal_year: int, fund_source: str, total: Decimal,
                      name: str, caps_by_kind: dict, caps_by_base: dict,
                      ctx: Context) -> Envelope:
        """Opens a budget envelope; the same year, source and name twice is refused."""
        envelope = Envelope.open(fiscal_year=fiscal_year, fund_source=fund_source, name=name,
                                 total=total, caps_by_kind=caps_by_kind,
                                 caps_by_base=caps_by_base, ctx=ctx)
        duplicate = field_error("name", f"envelope {envelope.name} of {fiscal_year} "
                                        f"({fund_source}) is already open", Conflict)
        if envelope.id in self.repository or self.views[FundingLedger].envelope_named(
                fiscal_year, fund_source, envelope.name) is not None:
            raise duplicate
        try:
            self.save(envelope)
        except IntegrityError:
            raise duplicate from None
        return envelope

    @retry_on_conflict
    def allocate(self, *, idempotency_key: str, base_id: UUID, envelope_id: UUID,
                 amount: Decimal, purpose: str, tranches: list[dict],
                 ctx: Context) -> tuple[Allocation, bool]:
        """Allocates from an envelope to an eligible base. Returns the allocation and
        whether it is new: a retry with the same idempotency key (the caller's own, see
        Allocation.create_id) gets the first one."""
        request = dict(base_id=base_id, envelope_id=envelope_id, amount=amount,
                       purpose=purpose, tranches=tranches)
        allocation_id = Allocation.create_id(idempotency_key, ctx)
        existing = self.find(allocation_id, Allocation)
        if existing is not None:
            if not existing.is_same_request(**request):
                raise field_error(IDEMPOTENCY_FIELD, "this key was already used for a different "
                                                     f"allocation ({existing.id})", Conflict)
            return existing, False
        envelope = self.find(envelope_id, Envelope)
        if envelope is None:
            raise field_error("envelope_id", f"no budget envelope {envelope_id}")
        standing = self.find(base_id, BaseStanding)
        if standing is None:
            raise ineligible_unknown_base(base_id)
        standing.record_allocation(allocation_id=allocation_id, ctx=ctx)  # eligible?
        envelope.allocate(allocation_id=allocation_id, base_id=base_id, kind=standing.kind,
                          amount=amount, ctx=ctx)  # within what remains and the caps?
        allocation = Allocation.allocate(idempotency_key=idempotency_key, base_id=base_id,
                                         envelope=envelope, amount=amount, purpose=purpose,
                                         tranches=tranches, ctx=ctx)
        self.save(envelope, standing, allocation)
        return allocation, True

    @retry_on_conflict
    def disburse(self, allocation_id: UUID, *, tranche_id: UUID, milestone: str,
                 reference: str | None, ctx: Context) -> Allocation:
        """Records the payment (拨付) of a tranche whose milestone is met, to a base that
        may be paid by funding's record of it (also noted there, see record_payment)."""
        allocation = self.allocation(allocation_id)
        standing = self.find(allocation.base_id, BaseStanding)
        # The tranche's own rules first (paid, cancelled, held, milestone): they say
        # most precisely why not; then the base's standing.
        allocation.disburse(tranche_id=tranche_id, milestone=milestone, reference=reference,
                            reached=standing.reached(), ctx=ctx)
        standing.record_payment(allocation_id=allocation.id, tranche_id=tranche_id, ctx=ctx)
        self.save(allocation, standing)
        return allocation

    @retry_on_conflict
    def record_recovery(self, allocation_id: UUID, *, amount: Decimal, reference: str | None,
                        recovery_key: str, ctx: Context) -> Allocation:
        """Records money recovered from a revoked base; it goes back to the envelope. The
        client's key, as its own (with the actor's id, like an allocation's), names the
        recovery, so a retry (after a timeout, say) records it once: without one, each
        attempt would count the same money again."""
        allocation = self.allocation(allocation_id)
        recovery_id = stable_id("recovery", allocation_id, ctx.actor_id, recovery_key)
        if allocation.record_recovery(recovery_id=recovery_id, amount=amount,
                                      reference=reference, ctx=ctx):
            envelope = self.envelope(allocation.envelope_id)
            envelope.give_back(allocation_id=allocation.id, amount=amount, reason="recovered",
                               ctx=ctx)
            self.save(allocation, envelope)
        return allocation

    @retry_on_conflict
    def attach_document(self, allocation_id: UUID, *, tranche_id: UUID, upload: Upload,
                        ctx: Context) -> dict:
        """Records a payment's document (kept already in the service's document store)."""
        allocation = self.allocation(allocation_id)
        record = document_record(owner_id=allocation.id, upload=upload, attached_at=self.clock(),
                                 attached_to={"on": "payment", "tranche_id": tranche_id}, ctx=ctx)
        document = allocation.attach_document(document=record, ctx=ctx)
        self.save(allocation)
        return document

    # -- reactions to the registry and evaluation ------------------------------------------------

    @reacts_to("BaseDeclared")
    def record_declaration(self, event, processing) -> None:
        standing = self._standing_for(event)
        standing.record_declaration(name=event.payload["name"], kind=event.payload["kind"],
                                    region=event.payload.get("region"),
                                    ctx=self.upstream_context(event))
        processing.collect_events(standing)

    @reacts_to("PlanFiled")
    def record_plan_filed(self, event, processing) -> None:
        standing = self._standing_for(event)
        standing.record_plan_filed(plan_version=event.payload["plan_version"],
                                   kind=event.payload["kind"], ctx=self.upstream_context(event))
        processing.collect_events(standing)

    @reacts_to("BaseAdjusted")
    def record_adjustment(self, event, processing) -> None:
        """Records the base's new status and applies it to its allocations: held while
        warned, released when eligible again, withdrawn when revoked. A decision older
        than the one applied (replayed by ops) is only noted: it changes nothing."""
        payload, ctx = event.payload, self.upstream_context(event)
        standing = self._standing_for(event)
        if not standing.record_status(from_status=payload["from_status"],
                                      to_status=payload["status_after"], reason=payload["reason"],
                                      position=event.position, ctx=ctx):
            processing.collect_events(standing)
            return
        standing.record_milestone(reached_by_decision(payload["basis"], payload["to_status"]), ctx=ctx)
        allocations = [self.allocation(i) for i in standing.allocation_ids]
        envelopes = {i: self.envelope(i) for i in {a.envelope_id for a in allocations}}
        settle_allocations(standing, allocations, envelopes, payload["reason"], ctx)
        processing.collect_events(standing, *allocations, *envelopes.values())

    def _standing_for(self, event) -> BaseStanding:
        base_id = event.payload["base_id"]
        standing = self.find(base_id, BaseStanding)
        return standing or BaseStanding(base_id=base_id, ctx=self.upstream_context(event))

    # -- queries ------------------------------------------------------------------------------

    def base_of(self, event) -> UUID | None:
        """The base an event concerns (audit queries by base): a standing's events are
        its base's; allocation events carry the base, directly or in their ``ref``."""
        if isinstance(event, BaseStanding.Event):
            return event.originator_id
        return getattr(event, "base_id", None) or getattr(event, "ref", {}).get("base_id")

    def envelope(self, envelope_id: UUID) -> Envelope:
        return self.require(envelope_id, Envelope, "budget envelope")

    def allocation(self, allocation_id: UUID) -> Allocation:
        return self.require(allocation_id, Allocation, "allocation")

    def envelope_summary(self, envelope_id: UUID) -> dict:
        """Total, allocated, disbursed, cancelled, recovered and remaining."""
        summary = self.views[FundingLedger].envelope_summary(envelope_id)
        if summary is None:
            raise NotFound(f"No budget envelope {envelope_id}.")
        return summary

    def envelope_summaries(self, **filters) -> list[dict]:
        return self.views[FundingLedger].envelope_summaries(**filters)

    def base_funding(self, base_id: UUID) -> dict:
        """A base's standing, its allocations, and every funding event about it."""
        standing = self.find(base_id, BaseStanding)
        if standing is None:
            raise NotFound(f"Funding knows nothing of base {base_id}.")
        allocations = [self.allocation(i) for i in standing.allocation_ids]
        history = [describe_event(e) for aggregate_id in [standing.id, *standing.allocation_ids]
                   for e in self.history(aggregate_id)]
        return {"base_id": base_id, "name": standing.name, "kind": standing.kind,
                "status": standing.status, "filed_plan_version": standing.filed_plan_version,
                "eligible": standing.is_eligible, "ineligibility": standing.ineligibility(),
                "allocations": allocations,
                "history": sorted(history, key=lambda entry: entry["at"])}

    def export_csv(self, **filters) -> str:
        """The allocations for the finance department, as CSV for Excel."""
        return ledger_csv(self.views[FundingLedger].allocation_rows(**filters))

    # -- the console's summary and 待办 (issue 25) ------------------------------------------------

    def money_summary(self) -> dict:
        return summary.money_summary(self.views[FundingLedger])

    def funds_statistics(self, as_of=None, **filters) -> dict:
        """Money by fund source, city and fiscal year (``fund_statistics``)."""
        return self.views[FundsCensus].statistics(as_of, **filters)

    def todo(self, actor) -> list[dict]:
        return summary.todo(self.views[FundingLedger], actor)
