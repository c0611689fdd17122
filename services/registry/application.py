"""The registry application: declarations, plans, the status of record, and queries."""

from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.application import ServiceApplication, reacts_to, retry_on_conflict
from services.backbone.eventstore.audit import describe_event
from services.backbone.eventstore.deadlines import DeadlineSchedule
from services.backbone.deadlines.reminders import ReminderBook
from services.backbone.kernel.context import Actor, Context
from services.backbone.kernel.documents import Upload, document_record, find_document
from services.backbone.kernel.errors import Conflict, Forbidden, NotFound, field_error
from services.backbone.kernel.privacy import may_see_contacts

from .deadlines import RegistryDeadlines, due_marked, reminded_items
from .domain import (Base, DeclarationBatch, DeclaringUnit, EarlierDeclaration,
                     check_declares_for_itself, check_not_declared_elsewhere)
from .integration import publications
from .national import NationalStanding
from .census import BaseCensus, effective_moment
from .statistics import StatusCalendar, todo
from .reviews import check_may_attach
from .views import BaseDirectory, BatchCalendar


class RegistryApplication(RegistryDeadlines, NationalStanding, ServiceApplication):
    """Bases: declaration, construction plans with approvals and filing, status of record."""

    name = "registry"
    publications = publications

    def construct_views(self):
        return [BaseDirectory(), BatchCalendar(), StatusCalendar(), DeadlineSchedule(),
                ReminderBook(), BaseCensus()]

    # -- commands ----------------------------------------------------------------------

    @retry_on_conflict
    def declare(self, *, name: str, kind: str, region: dict, competent_department: str,
                batch_id: UUID, contacts: list[dict], actor: Actor, ctx: Context) -> Base:
        """Declares a base in an open batch, for the actor's own unit (the DRC: for
        any); names are compared by key (``BaseDirectory.named``), and the rules of
        one declaration per unit are the domain's (``check_not_declared_elsewhere``).
        The batch and the other declarations are read from the read models (loading
        the batch's aggregate was a tenth of a declaration's cost). The unit's own
        aggregate (``DeclaringUnit``), written with the base, makes two declarations
        of one unit at the same instant collide: the second is run again, and checked
        after the first.

        The unit is read only when the caught-up directory knows its key, since it is
        written with its first base: a key the directory has not seen has no unit, or
        one committed since, which the new unit collides with. For a new name (most
        declarations) that is one store transaction less (``bench.paths relay``: 4 to 3
        per declaration). A known unit is read before the read models are caught up
        again, so a declaration committed after that read collides with this one, and
        one committed before it is in what the read models then show."""
        check_declares_for_itself(actor, name)
        calendar, directory = self.views.caught_up(BatchCalendar, BaseDirectory)
        unit = None
        if directory.unit(name) is not None:
            unit = self.find(directory.unit(name), DeclaringUnit)
            calendar, directory = self.views.caught_up(BatchCalendar, BaseDirectory)
        batch = self._open_batch_row(calendar, batch_id)
        check_not_declared_elsewhere(name, batch_id, [
            EarlierDeclaration(row["batch_id"], calendar.name_of(row["batch_id"]), row["status"],
                               row.get("status_since"))
            for row in directory.named(name)], moment=self.clock())
        base = Base(name=name, kind=kind, region=region,
                    competent_department=competent_department, batch_id=batch_id,
                    contacts=contacts, declared_by=actor.id, ctx=ctx)
        if unit is None:
            unit = DeclaringUnit(name=name, declaration=base.id, ctx=ctx)
        else:
            unit.declared_again(declaration=base.id, ctx=ctx)
        try:
            # The unit's event first: the base's, which is published, is the log's head.
            self.save(unit, base)
        except IntegrityError:
            if base.id in self.repository:  # its id is derived from (name, batch)
                raise field_error("name", f"{name} is already declared in batch {batch['name']}",
                                  Conflict) from None
            raise  # the unit was declared meanwhile: run again
        return base

    def _open_batch_row(self, calendar: "BatchCalendar", batch_id: UUID) -> dict:
        """The read model's row of a batch that accepts declarations now, or why not."""
        batch = calendar.batches.get(batch_id)
        if batch is None:
            raise field_error("batch_id", f"no declaration batch {batch_id} has been opened")
        if not DeclarationBatch.admits(closed=batch["closed"], opens_at=batch["opens_at"],
                                       closes_at=batch["closes_at"], moment=self.clock()):
            state = "closed" if batch["closed"] else (
                f"open from {batch['opens_at'].isoformat()} to {batch['closes_at'].isoformat()}")
            raise field_error("batch_id", f"batch {batch['name']} does not accept declarations "
                                          f"now ({state})")
        return batch

    @retry_on_conflict
    def reassign(self, base_id: UUID, *, applicant_id: UUID, reason: str, actor: Actor,
                 ctx: Context) -> Base:
        """The DRC hands a declaration to the applicant that answers for its unit."""
        base = self.get_base(base_id)
        base.reassign(applicant_id=applicant_id, reason=reason, actor=actor, ctx=ctx)
        self.save(base)
        return base

    @retry_on_conflict
    def draft_plan(self, base_id: UUID, *, tasks: list[dict], targets: list[dict],
                   actor: Actor, ctx: Context) -> Base:
        base = self.get_base(base_id)
        base.draft_plan(tasks=tasks, targets=targets, actor=actor, ctx=ctx)
        self.save(base, *self.plan_deadlines(base, ctx))
        return base

    @retry_on_conflict
    def approve_plan(self, base_id: UUID, *, version: int, actor: Actor, ctx: Context) -> Base:
        base = self.get_base(base_id)
        base.approve_plan(version=version, actor=actor, approved_at=self.clock(), ctx=ctx)
        self.save(base, *self.plan_reviewed(base, ctx))
        return base

    @retry_on_conflict
    def file_plan(self, base_id: UUID, *, actor: Actor, ctx: Context) -> Base:
        base = self.get_base(base_id)
        base.file_plan(actor=actor, ctx=ctx)
        self.save(base)
        return base

    @retry_on_conflict
    def return_plan(self, base_id: UUID, *, version: int, comments: str, actor: Actor,
                    ctx: Context) -> Base:
        """An approver, or the DRC at filing, sends the plan back for revision."""
        base = self.get_base(base_id)
        base.return_plan(version=version, comments=comments, actor=actor,
                         returned_at=self.clock(), ctx=ctx)
        self.save(base, *self.plan_reviewed(base, ctx))
        return base

    @retry_on_conflict
    def return_declaration(self, base_id: UUID, *, comments: str, actor: Actor,
                           ctx: Context) -> Base:
        """The DRC returns an incomplete declaration for completion (退回补正)."""
        base = self.get_base(base_id)
        base.return_declaration(comments=comments, batch_open=self._accepts(base), actor=actor,
                                ctx=ctx)
        self.save(base)
        return base

    @retry_on_conflict
    def resubmit_declaration(self, base_id: UUID, *, note: str, actor: Actor,
                             ctx: Context) -> Base:
        base = self.get_base(base_id)
        base.resubmit_declaration(note=note, batch_open=self._accepts(base), actor=actor, ctx=ctx)
        self.save(base)
        return base

    def _accepts(self, base: Base) -> bool:
        """Whether the base's batch accepts declarations now (the read model's row)."""
        batch = self.views.caught_up(BatchCalendar)[0].batches.get(base.batch_id)
        return batch is not None and DeclarationBatch.admits(
            closed=batch["closed"], opens_at=batch["opens_at"], closes_at=batch["closes_at"],
            moment=self.clock())

    def check_attachment(self, base_id: UUID, *, attached_to: dict, actor: Actor) -> None:
        """Whether ``actor`` may attach a document there, before its bytes are kept."""
        check_may_attach(self.get_base(base_id), attached_to, actor)

    @retry_on_conflict
    def attach_document(self, base_id: UUID, *, attached_to: dict, upload: Upload,
                        actor: Actor, ctx: Context) -> dict:
        """Records a document already kept in the service's document store."""
        base = self.get_base(base_id)
        record = document_record(owner_id=base.id, attached_to=attached_to, upload=upload,
                                 attached_at=self.clock(), ctx=ctx)
        document = base.attach_document(attached_to=attached_to, document=record, actor=actor,
                                        ctx=ctx)
        self.save(base)
        return document

    def documents(self, base_id: UUID, viewer: Actor) -> list[dict]:
        """The base's documents, for a viewer who may see them (``Base.shows_documents_to``)."""
        base = self.get_base(base_id)
        if not base.shows_documents_to(viewer):
            raise Forbidden("Only those who work with the base, and its reviewers, see its documents.")
        return base.documents

    def document(self, base_id: UUID, document_id: UUID, viewer: Actor) -> dict:
        return find_document(self.documents(base_id, viewer), document_id)

    # -- reactions to evaluation's decisions ----------------------------------------------------

    @reacts_to("BaseAdjusted")
    def record_adjustment(self, event, processing) -> None:
        payload = event.payload
        base = self.get_base(payload["base_id"])
        decision = {key: payload[key] for key in
                    ("batch_id", "round_id", "score", "grade", "rubric_version",
                     "policy_version", "rectification_deadline", "effective_on",
                     "document_number", "document")
                    if payload.get(key) is not None}
        decision["source_position"] = event.position
        if payload["status_after"] != payload["to_status"]:  # dated before decisions recorded
            decision["decided_to_status"] = payload["to_status"]
        base.record_adjustment(from_status=payload["from_status"], to_status=payload["status_after"],
                               reason=payload["reason"], basis=payload["basis"],
                               decision=decision, ctx=self.upstream_context(event))
        processing.collect_events(base, *self.decision_deadlines(base, payload,
                                                                 self.upstream_context(event)))

    @reacts_to("AnnualReportSubmitted")
    def record_annual_report(self, event, processing) -> None:
        """A year reported: its reminders end (the report itself lives in evaluation)."""
        base = self.find(event.payload["base_id"], Base)
        if base is not None:
            processing.collect_events(*self.report_deadlines(base, event.payload["year"],
                                                             self.upstream_context(event)))

    @reacts_to("BatchOpened")
    def record_batch_opened(self, event, processing) -> None:
        payload = event.payload
        if payload["batch_id"] in self.repository:
            return
        processing.collect_events(DeclarationBatch(
            batch_id=payload["batch_id"], name=payload["name"], opens_at=payload["opens_at"],
            closes_at=payload["closes_at"], quota=payload["quota"],
            ctx=self.upstream_context(event)))

    @reacts_to("BatchClosed")
    def record_batch_closed(self, event, processing) -> None:
        batch = self._batch(event.payload["batch_id"])
        if not batch.closed:
            batch.close(ctx=self.upstream_context(event))
            processing.collect_events(batch)

    # -- queries ------------------------------------------------------------------------------

    def base_of(self, event) -> UUID | None:
        return event.originator_id if isinstance(event, Base.Event) else super().base_of(event)

    def personal_fields(self, event, viewer: Actor) -> tuple[str, ...]:
        """A declaration's contact persons, for a reader who does not work with the base."""
        if isinstance(event, Base.Declared) and not may_see_contacts(
                viewer, base_id=event.originator_id, region=event.region,
                competent_department=event.competent_department, declared_by=event.declared_by):
            return ("contacts",)
        return ()

    def get_base(self, base_id: UUID) -> Base:
        base = self.find(base_id, Base)
        if base is None:
            raise NotFound(f"No base {base_id}.")
        return base

    def list_bases(self, **filters) -> list[dict]:
        return self.views[BaseDirectory].select(**filters)

    def units(self) -> list[dict]:
        return self.views[BaseDirectory].all_units()

    def batches(self) -> list[dict]:
        return self.views[BatchCalendar].all()

    def _batch(self, batch_id: UUID) -> DeclarationBatch:
        batch = self.find(batch_id)
        if batch is None:
            raise field_error("batch_id", f"no declaration batch {batch_id} has been opened")
        if not isinstance(batch, DeclarationBatch):
            raise field_error("batch_id", f"{batch_id} is not a declaration batch")
        return batch

    def statuses_as_of(self, moment: datetime, base_id: UUID | None = None) -> list[dict]:
        """The status of record of every base (or one) as it stood at ``moment``: its
        history folded up to then. Writes nothing. One base reads only its own events;
        every base reads the whole log."""
        rows: dict[UUID, dict] = {}
        events = (self.history(base_id) if base_id is not None
                  else (event for _, event in self.all_events()))
        declared, decisions = {}, []
        for event in events:
            if isinstance(event, Base.Declared):
                declared[event.originator_id] = event
            elif isinstance(event, Base.StatusRecorded):
                decisions.append(event)
        # a decision counts from its effective date (the first batch: 2017-09-07, whenever
        # entered); ties and decisions without one in the order recorded
        decisions.sort(key=effective_moment)
        for event in declared.values():
            if event.timestamp <= moment:
                rows[event.originator_id] = self._as_of_row(event, "declared", event.timestamp)
        for event in decisions:
            if effective_moment(event) > moment or event.originator_id not in declared:
                continue
            status = event.decision.get("decided_to_status", event.to_status)
            row = rows.get(event.originator_id) or self._as_of_row(
                declared[event.originator_id], status, effective_moment(event))
            rows[event.originator_id] = {**row, "status": status, "since": effective_moment(event)}
        if base_id is not None and base_id not in rows:
            raise NotFound(f"Base {base_id} had not been declared at {moment.isoformat()}.")
        return sorted(rows.values(), key=lambda row: row["name"])

    @staticmethod
    def _as_of_row(declared, status: str, since: datetime) -> dict:
        return {"base_id": declared.originator_id, "name": declared.name, "kind": declared.kind,
                "region": declared.region, "batch_id": declared.batch_id, "status": status,
                "since": since}

    def base_history(self, base_id: UUID) -> list[dict]:
        """Every recorded event of a base: what, when, who, why."""
        self.get_base(base_id)
        return [describe_event(event) for event in self.history(base_id)]

    # -- the console's summary and 待办 (issue 25) ------------------------------------------------

    def stats_summary(self) -> dict:
        """Counts of bases by kind, status and city, and their running totals by month."""
        return self.views[StatusCalendar].summary()

    def base_statistics(self, as_of: datetime | None = None, **filters) -> dict:
        """The DRC's statistics of bases (``census.BaseCensus``), now or at ``as_of``."""
        return self.views[BaseCensus].statistics(as_of, **filters)

    def todo(self, actor: Actor) -> list[dict]:
        """What waits for ``actor`` here (``statistics.todo``)."""
        rows = self.views[BaseDirectory].rows
        book = self.views[ReminderBook]
        return due_marked(todo(list(rows.values()), actor), rows, book) + reminded_items(book, rows, actor)

