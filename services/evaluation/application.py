"""The evaluation application: batches and selection, evaluators and scores, metrics,
evaluation rounds and the decisions they lead to. Reads are in ``queries.py``."""

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.application import (ServiceApplication, reacts_to,
                                                      retry_on_conflict, utc_now)
from services.backbone.eventstore.deadlines import DeadlineSchedule
from services.backbone.kernel.context import SYSTEM_ACTOR, Actor, Context
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation, field_error
from services.contracts.evaluation import ROUND_KINDS
from services.contracts.vocabulary import STATUSES

from .annual_reports import AnnualReports, RoundFigures
from .annual_statistics import AnnualTotals
from .catalogue import Catalogue, default_catalogue
from .completeness import INCOMPLETE_REASON, DeclarationCompleteness, check_chosen_complete
from .conflicts import conflict_of_interest
from .documents import DocumentsOfBases
from .domain import Assessment, Base, Batch, Evaluator, Round
from .integration import publications
from .metrics import check_period_begun
from .policy import AdjustmentPolicy, Decision, Graded
from .national_desk import NationalCalls, NationalDesk
from .notice_desk import NoticeBoard, NoticeDesk
from .opinions import DepartmentOpinions, OpinionBook
from .queries import Queries
from .recommendation import CityRecommendations, Recommendations
from .records import DecisionsOfRecord, Record, decided
from .rubric import RubricError
from .ranking import choose_certified, passed_over
from .views import Calendar, EvaluatorDirectory, Scoreboard, Standings


class EvaluationApplication(NationalDesk, NoticeDesk, CityRecommendations, DepartmentOpinions,
                            DecisionsOfRecord, AnnualReports, RoundFigures, Queries, DocumentsOfBases,
                            DeclarationCompleteness, ServiceApplication):
    """Decides the status of bases: selection and certification, evaluation rounds,
    dynamic adjustment (动态调整). The registry records what is decided here."""

    name = "evaluation"
    publications = publications
    policy_in_force: str | None = None  # evaluation.adjustment_policy (configure)
    # Every declaration is an event of its batch (see Batch.join), and a batch may take
    # tens of thousands: a snapshot every 50 events keeps loading one cheap.
    snapshotting_intervals = {Batch: 50}

    def __init__(self, env: dict | None = None) -> None:
        super().__init__(env)
        self.catalogue: Catalogue = default_catalogue()

    def construct_views(self):
        return [Calendar(), Scoreboard(), Standings(), EvaluatorDirectory(), NoticeBoard(),
                DeadlineSchedule(), Recommendations(), OpinionBook(), NationalCalls(), AnnualTotals()]

    def configure(self, settings) -> None:
        """The ``evaluation`` section: which adjustment policy is in force (a round
        closed under another one needs the DRC's reason)."""
        self.policy_in_force = settings.adjustment_policy
        if settings.clock_offset_days:  # the demo's replay: see EvaluationSettings
            offset = timedelta(days=settings.clock_offset_days)
            self.clock = lambda: utc_now() + offset

    # -- batches -------------------------------------------------------------------------

    def open_batch(self, *, name: str, opens_at: datetime, closes_at: datetime, quota: int,
                   rubrics: dict, ctx: Context, city_recommendation: bool = False) -> Batch:
        """Opens a declaration batch, scored on the rubrics in force for each kind; a
        name taken by another batch (compared by key) is refused."""
        self.catalogue.check_rubrics(rubrics)
        if self.views[Calendar].batch_named(name) is not None:
            raise field_error("name", f"a batch named {name} already exists", Conflict)
        batch = Batch.open(name=name, opens_at=opens_at, closes_at=closes_at, quota=quota,
                           rubrics=rubrics, ctx=ctx, city_recommendation=city_recommendation)
        return self._save_new(batch, "name", f"a batch named {name} already exists")

    @retry_on_conflict
    def close_batch(self, batch_id: UUID, ctx: Context) -> Batch:
        """Closes a batch to declarations; the registry learns it from BatchClosed."""
        batch = self.require(batch_id, Batch, "batch")
        batch.close(at=self.clock(), ctx=ctx)
        self.save(batch)
        return batch

    # -- evaluators and scores ---------------------------------------------------------------

    def register_evaluator(self, *, name: str, organisation: str, region: dict,
                           ctx: Context) -> Evaluator:
        """Registers an evaluator once: a person is known by the key of its name and
        organisation (``evaluator_key``), its id (the actor id its tokens must carry)
        is derived from them as it always was."""
        message = f"{name} of {organisation} is already registered"
        known = self.views[EvaluatorDirectory].registered_as(name, organisation)
        if known is not None:
            raise field_error("name", f"{message} (evaluator {known})", Conflict)
        evaluator = Evaluator(name=name, organisation=organisation, region=region, ctx=ctx)
        return self._save_new(evaluator, "name", message)

    @retry_on_conflict
    def declare_conflict(self, evaluator_id: UUID, *, base_id: UUID | None, unit: str | None,
                         reason: str, actor: Actor, ctx: Context) -> Evaluator:
        """Records an evaluator's declared conflict of interest with a base or a unit
        (the evaluator itself, or the DRC for it)."""
        if actor.role == "evaluator" and actor.id != evaluator_id:
            raise Forbidden("An evaluator declares its own conflicts of interest.")
        evaluator = self.require(evaluator_id, Evaluator, "evaluator")
        if base_id is not None:
            self.require(base_id, Base, "base", field="base_id")
        evaluator.declare_conflict(base_id=base_id, unit=unit, reason=reason, ctx=ctx)
        self.save(evaluator)
        return evaluator

    @retry_on_conflict
    def assign(self, *, base_id: UUID, evaluator_id: UUID, batch_id: UUID | None = None,
               round_id: UUID | None = None, ctx: Context) -> Assessment:
        """Assigns an evaluator to score a base in a batch (selection) or a round."""
        occasion = self._occasion(batch_id, round_id)
        occasion.check_scoring_open()
        evaluator = self.require(evaluator_id, Evaluator, "evaluator", field="evaluator_id")
        base = self.require(base_id, Base, "base", field="base_id")
        assessment = self._assessment(occasion, base, ctx)
        assessment.assign(evaluator, base, ctx=ctx)
        self.save(assessment)
        return assessment

    @retry_on_conflict
    def score(self, *, base_id: UUID, scores: dict, comment: str, actor: Actor,
              batch_id: UUID | None = None, round_id: UUID | None = None,
              ctx: Context) -> Assessment:
        """Records the calling evaluator's score sheet for a base it is assigned to. An
        evaluator that is not learns nothing of the occasion (whether it exists, whether
        its scoring is open): the assignment is checked first."""
        occasion_id = self._occasion_id(batch_id, round_id)
        assessment = self.find(Assessment.create_id(occasion_id, base_id), Assessment)
        if assessment is None or actor.id not in assessment.evaluators:
            raise Forbidden("An evaluator scores only the bases it is assigned to.")
        self._refuse_conflict(actor.id, base_id)
        self._occasion(batch_id, round_id).check_scoring_open()
        rubric = self.catalogue.rubric(assessment.rubric_version)
        assessment.score(evaluator_id=actor.id, rubric=rubric, scores=scores, comment=comment, ctx=ctx)
        self.save(assessment)
        return assessment

    # -- selection and certification (评选认定) --------------------------------------------------

    @retry_on_conflict
    def certify(self, batch_id: UUID, *, base_ids: list[UUID] | None, ctx: Context,
                reason: str = "", record: Record = Record()) -> list[dict]:
        """Certifies the chosen bases (by default the top of the ranking) within the
        quota; every other declaration of the batch is not selected. A list that passes
        over bases with higher scores needs the DRC's ``reason``, which every decision
        of the certification records; ``record``: its date and document, if given."""
        if self.notice_pending_for(batch_id):
            raise Conflict("This batch's list is under public notice: it is certified when the "
                           "notice concludes.")
        batch, bases = self.certification(batch_id, base_ids=base_ids, ctx=ctx, reason=reason,
                                          record=record)
        self.save(batch, *bases)
        return [decided(base, ctx) for base in bases]

    def certification(self, batch_id: UUID, *, base_ids: list[UUID] | None, ctx: Context,
                      reason: str = "", record: Record = Record(),
                      basis: str = "selection") -> tuple[Batch, list[Base]]:
        """The batch concluded and its bases decided, for the caller to save (a
        certification, or a notice concluding)."""
        record.check_not_ahead(self.clock())
        batch = self.require(batch_id, Batch, "batch")  # before the views: they hold at least its joins
        ranking, unrecommended = self.recommended_ranking(batch, self.awaiting_ranking(batch_id))
        consulted = self.opinions_note(batch)  # the departments' opinions, recorded with each decision
        incomplete = self.incomplete_declarations(row["base_id"] for row in ranking)
        check_chosen_complete(base_ids, incomplete)
        complete = [row for row in ranking if row["base_id"] not in incomplete]
        chosen = choose_certified(complete, batch.quota, base_ids)
        skipped = passed_over(complete, chosen, reason)
        batch.conclude(certified=chosen, reason=reason.strip(), ctx=ctx,
                       not_selected=[row["base_id"] for row in ranking if row["base_id"] not in chosen]
                       + list(unrecommended))
        scored = sum(row["rank"] is not None for row in ranking)
        bases = []
        for row in ranking:
            decision = selection_decision(batch, row, certified=row["base_id"] in chosen, scored=scored,
                                          passed_over=row["base_id"] in skipped, note=reason.strip())
            if row["base_id"] in incomplete:
                decision = replace(decision, reason=INCOMPLETE_REASON.format(batch=batch.name))
            if consulted:
                decision = replace(decision, reason=f"{decision.reason}；{consulted}"[:1000])
            decision = record.stamp(replace(decision, basis=basis), self.clock())
            base = self.require(row["base_id"], Base, "base")
            base.adjust(decision, ctx=ctx)
            bases.append(base)
        for base_id, why in unrecommended.items():
            decision = Decision(from_status="declared", to_status="not_selected", basis=basis,
                                reason=f"{batch.name}：{why}", batch_id=batch.id)
            base = self.require(base_id, Base, "base")
            base.adjust(record.stamp(decision, self.clock()), ctx=ctx)
            bases.append(base)
        return batch, bases

    def awaiting_ranking(self, batch_id: UUID) -> list[dict]:
        """The ranking of the batch's declarations still awaiting selection."""
        awaiting = {row["base_id"] for row in self.views[Standings].select(batch_id=batch_id,
                                                                          status="declared")}
        return [row for row in self.views[Scoreboard].ranking(batch_id) if row["base_id"] in awaiting]

    # -- metrics -------------------------------------------------------------------------------

    @retry_on_conflict
    def report_metrics(self, base_id: UUID, *, period: str, values: dict, correction: bool,
                       note: str, actor: Actor, ctx: Context) -> Base:
        """The applicant's figures for a half-year (or an explicit correction)."""
        base = self.require(base_id, Base, "base")
        base.report_metrics(period=period, values=values, correction=correction, note=note,
                            actor=actor, now=self.clock(), ctx=ctx)
        self.save(base)
        return base

    # -- evaluation rounds (督促检查和第三方评估) and adjustment (动态调整) ---------------------------

    def open_round(self, *, kind: str, name: str, period: str, rubrics: dict, ctx: Context) -> Round:
        """Opens a round for every base in good standing now."""
        if kind not in ROUND_KINDS:
            raise field_error("kind", f"a round is one of {', '.join(ROUND_KINDS)}")
        check_period_begun(period, self.clock())
        try:
            self.catalogue.check_rubrics(rubrics)
        except RubricError as error:  # a version the DRC named for this round
            raise field_error("rubrics", str(error)) from None
        if self.views[Calendar].round_named(name) is not None:
            raise field_error("name", f"a round named {name} already exists", Conflict)
        bases = [{"base_id": row["base_id"], "name": row["name"], "kind": row["kind"],
                  "status": row["status"]} for row in self.views[Standings].in_good_standing()]
        if not bases:
            raise RuleViolation("No base is in good standing: there is nothing to evaluate.")
        evaluation = Round(kind=kind, name=name, period=period, bases=bases, rubrics=rubrics, ctx=ctx)
        return self._save_new(evaluation, "name", f"a round named {name} already exists")

    @retry_on_conflict
    def close_round(self, round_id: UUID, *, ctx: Context, policy_version: str | None = None,
                    reason: str = "", record: Record = Record()) -> list[dict]:
        """Grades every base of the round and decides on each under the policy (the one
        in force unless the DRC names another, and says why).

        What is overdue is revoked first, in the same save, as the timer would have:
        a warned base past its deadline must not be retained by a round that closes
        before the timer has run (the deadline decides, not the timer's schedule).
        Deadlines count from the decisions' effective date (``record``), not the clock."""
        record.check_not_ahead(self.clock())
        evaluation = self.require(round_id, Round, "round")
        policy, note = self._policy_for_round(policy_version, reason.strip())
        revoked = {base.id: base for base in self._revoke_overdue(ctx)}
        bases = [revoked.get(base_id) or self.require(base_id, Base, "base")
                 for base_id in evaluation.base_ids]
        graded = [base for base in bases if evaluation.evaluates(base)]
        results = policy.capped(self._round_results(evaluation, graded))  # the share of 优秀
        now = record.moment(self.clock())
        evaluation.close(grades=[graded_row(base.id, results[base.id]) for base in graded],
                         withdrawn=[withdrawn_row(base) for base in bases if not evaluation.evaluates(base)],
                         policy_version=policy.version, policy_reason=reason.strip(), at=now,
                         ctx=ctx)
        for base in graded:
            decision = policy.evaluate(base.status, results[base.id], now,
                                       opened_status=evaluation.status_at_opening(base.id),
                                       deadline=base.rectification_deadline)
            decision = record.stamp(decision, self.clock())
            base.adjust(replace(decision, reason=decision.reason + note, decided_at=now), ctx=ctx)
        self.save(evaluation, *revoked.values(), *graded)
        return [decided(base, ctx) for base in [*revoked.values(), *graded]]

    def _policy_for_round(self, version: str | None, reason: str) -> tuple[AdjustmentPolicy, str]:
        """The policy a round closes under, and what its decisions add to their reasons:
        another version than the one in force is the DRC's choice to justify."""
        in_force = self.policy_in_force
        version = version or in_force
        if version is None:
            raise field_error("policy_version", "no adjustment policy is in force: name one")
        policy = self.catalogue.policy(version)
        if version != in_force and not reason:
            raise field_error("reason", f"{version} is not the adjustment policy in force "
                                        f"({in_force or 'none'}): say why it applies to this round")
        if version != in_force:
            return policy, f"；适用非现行调整办法 {version}（现行 {in_force}），理由：{reason}"
        return policy, f"；省发展改革委说明：{reason}" if reason else ""

    def _round_results(self, evaluation: Round, bases: list[Base]) -> dict[UUID, Graded]:
        """The grade of each base to be graded; every one must be fully scored."""
        board = self.views[Scoreboard]
        results, unscored = {}, []
        for base in bases:
            entry = board.entry(evaluation.id, base.id)
            if entry is None or entry.score is None:
                unscored.append(base.name)
                continue
            rubric = self.catalogue.rubric(entry.rubric_version)
            score = self.figures_in_round(evaluation, base.id, rubric.version, entry.score)["total"]
            results[base.id] = Graded(round_id=evaluation.id, round_name=evaluation.name,
                                      score=score, grade=rubric.grade(score),
                                      rubric_version=rubric.version)
        if unscored:
            raise RuleViolation(f"Every base of round {evaluation.name} must be scored by all its "
                                f"evaluators before it closes; not yet: {'、'.join(unscored)}.",
                                fields={"bases": unscored})
        return results

    @retry_on_conflict
    def accept_rectification(self, base_id: UUID, *, note: str, ctx: Context) -> dict:
        """The DRC accepts a warned base's rectification (整改验收) before its deadline."""
        base = self.require(base_id, Base, "base")
        deadline = base.rectification_deadline
        if base.status != "warned":
            raise RuleViolation(f"{base.name} is {base.status}, not warned: nothing to rectify.")
        if self.clock() > deadline:
            raise RuleViolation(f"The rectification deadline of {base.name} has passed; the base "
                                "is due to be revoked.")
        decision = self.catalogue.policy(base.decisions[-1].policy_version).rectified(deadline, note, at=self.clock())
        base.adjust(decision, ctx=ctx)
        self.save(base)
        return decided(base, ctx)

    @retry_on_conflict
    def revoke_overdue(self, ctx: Context | None = None) -> list[dict]:
        """Decides on every warned base whose rectification deadline has passed, under
        the policy that warned it. Run by a timer (as the platform), and by the DRC."""
        ctx = ctx or SYSTEM_ACTOR.context()
        bases = self._revoke_overdue(ctx)
        if bases:
            self.save(*bases)
        return [decided(base, ctx) for base in bases]

    def _revoke_overdue(self, ctx: Context) -> list[Base]:
        """Every warned base past its deadline, decided under the policy that warned it
        (to be saved by the caller, with whatever else it changes)."""
        bases = []
        for row in self.views[Standings].overdue(self.clock()):
            base = self.require(row["base_id"], Base, "base")
            policy = self.catalogue.policy(base.decisions[-1].policy_version)
            base.adjust(policy.missed(base.rectification_deadline), ctx=ctx)
            bases.append(base)
        return bases

    # -- reactions to the registry -------------------------------------------------------------

    @reacts_to("BaseDeclared")
    def record_declaration(self, event, processing) -> None:
        """A declaration joins its batch; one made after the batch closed (the registry
        had not learned of the closing yet), or arriving after it was certified, is
        recorded as not selected, with the reason."""
        payload = event.payload
        if payload["base_id"] in self.repository:
            return
        batch = self.require(payload["batch_id"], Batch, "batch")
        base = Base(base_id=payload["base_id"], name=payload["name"], kind=payload["kind"],
                    region=payload["region"], competent_department=payload["competent_department"],
                    batch_id=batch.id, declared_by=event.actor.id, ctx=self.upstream_context(event))
        reason = batch.refusal(event.occurred_at)
        if reason is not None:
            base.adjust(Decision(from_status="declared", to_status="not_selected", basis="selection",
                                 reason=reason, batch_id=batch.id, decided_at=self.clock()),
                        ctx=SYSTEM_ACTOR.context(event.correlation_id))
        else:
            batch.join(base.id, ctx=self.upstream_context(event))
        processing.collect_events(base, batch)

    # -- helpers ---------------------------------------------------------------------------------

    def _save_new(self, aggregate, field: str, message: str):
        if aggregate.id in self.repository:
            raise field_error(field, message, Conflict)
        try:
            self.save(aggregate)
        except IntegrityError:
            raise field_error(field, message, Conflict) from None
        return aggregate

    @staticmethod
    def _occasion_id(batch_id: UUID | None, round_id: UUID | None) -> UUID:
        if (batch_id is None) == (round_id is None):
            raise field_error("batch_id", "name either a batch_id (selection) or a round_id")
        return batch_id if batch_id is not None else round_id

    def _occasion(self, batch_id: UUID | None, round_id: UUID | None) -> Batch | Round:
        self._occasion_id(batch_id, round_id)
        if batch_id is not None:
            return self.require(batch_id, Batch, "batch", field="batch_id")
        return self.require(round_id, Round, "round", field="round_id")

    def _refuse_conflict(self, evaluator_id: UUID, base_id: UUID) -> None:
        """An evaluator assigned before its conflict was known (declared since, or a
        rule added since) does not score the base either."""
        evaluator, base = self.find(evaluator_id, Evaluator), self.find(base_id, Base)
        conflict = conflict_of_interest(evaluator, base) if evaluator and base else None
        if conflict is not None:
            raise Forbidden(conflict)

    def _assessment(self, occasion: Batch | Round, base: Base, ctx: Context) -> Assessment:
        """The base's assessment on the occasion, opened if need be; refused for a base
        the occasion does not (or no longer) evaluate, even if evaluators were assigned
        to it before (a base revoked since its round opened)."""
        base_id = base.id
        if not occasion.evaluates(base):
            what = "batch" if isinstance(occasion, Batch) else "round"
            now = f" ({base.status} now)" if occasion.includes(base) else ""
            raise field_error("base_id", f"{base.name} is not being evaluated in this {what}{now}")
        assessment_id = Assessment.create_id(occasion.id, base_id)
        if assessment_id in self.repository:
            return self.repository.get(assessment_id)
        return Assessment(occasion_id=occasion.id, occasion=occasion.occasion, base_id=base.id,
                          region=base.region, rubric_version=occasion.rubrics[base.kind], ctx=ctx)



def selection_decision(batch: Batch, row: dict, *, certified: bool, scored: int,
                       passed_over: bool = False, note: str = "") -> Decision:
    """The decision on one declaration when a batch is certified, with its reason: a
    base passed over for one with a lower score is told so, and the DRC's ``note``
    (why it chose as it did) is in every decision of the certification."""
    if row["rank"] is None:
        reason = f"{batch.name}评审未完成评分，未入选"
    else:
        standing = f"{batch.name}综合评分 {row['score']}，列第 {row['rank']} 名（共 {scored} 个）"
        if certified:
            reason = f"{standing}，在 {batch.quota} 个名额内，认定为省级双创示范基地"
        elif passed_over:
            reason = (f"{standing}，评分高于认定名单中的基地，省发展改革委未将其列入认定名单"
                      f"（名额 {batch.quota} 个），未入选")
        else:
            reason = f"{standing}，未列入认定名单（名额 {batch.quota} 个），未入选"
    if note:
        reason += f"；省发展改革委说明：{note}"
    return Decision(from_status="declared", to_status="certified" if certified else "not_selected",
                    reason=reason, basis="selection", batch_id=batch.id, score=row["score"],
                    rubric_version=row["rubric_version"])


def withdrawn_row(base: Base) -> dict:
    """A base of a round that is no longer a demonstration base when it closes: not
    graded, with the reason (the decision that ended its standing)."""
    last = base.decisions[-1]
    return {"base_id": base.id, "status": base.status,
            "reason": f"本轮评估结束前已{STATUSES[base.status]}（{last.reason[:300]}），不参加本轮评定"}


def graded_row(base_id: UUID, result: Graded) -> dict:
    """A grade as the round records it; a grade the cap on 优秀 lowered keeps why."""
    row = {"base_id": base_id, "score": result.score, "grade": result.grade,
           "rubric_version": result.rubric_version}
    return {**row, "note": result.note} if result.note else row
