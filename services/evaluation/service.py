"""The evaluation service: HTTP and RPC entrypoints over the evaluation application.

Thin by design: load and validate the request, call the application with the caller,
dump the result. Rules live in domain.py, rubric.py, policy.py and ranking.py;
orchestration in application.py; who may read what in queries.py.
"""

import logging
from functools import partial

from marshmallow import fields
from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from services.backbone.messaging.subscription import Subscription
from services.backbone.dependencies import EventStore
from services.backbone.web.answers import listing
from services.backbone.web.entrypoints import Caller, http, rpc, schema, validated
from services.backbone.web.inputs import read_json, read_query
from services.backbone.kernel.ids import path_id
from services.backbone.eventstore.audit import jsonable
from services.backbone.messaging.published_log import PublishedLog
from services.backbone.ops.endpoints import OperationsEndpoints
from services.backbone.ops.todo import TodoOut, dead_letter_items, todo_answer
from services.backbone.web.paging import paged

from .annual_service import AnnualReportEndpoints
from .application import EvaluationApplication
from . import todo as waiting
from .catalogue import default_catalogue
from .document_endpoints import EvaluationDocumentEndpoints
from .national_endpoints import NationalRecommendationEndpoints
from .notice_endpoints import PublicNoticeEndpoints
from .opinion_endpoints import DepartmentOpinionEndpoints
from .recommendation_endpoints import CityRecommendationEndpoints
from .record_endpoints import DecisionsOfRecordEndpoints
from .records import Record
from .schemas import (AssessmentOut, AssignmentOut, AssignmentsQuery, AssignRequest, BaseOut,
                      BaseRowOut, BasesQuery, BatchesQuery, BatchOut, CertifyRequest, CloseRoundRequest,
                      ConflictRequest,
                      DecisionOut, DecisionsQuery, EvaluatorOut, EvaluatorRequest, EvaluatorsQuery,
                      MetricsOut, MetricsRequest, OpenBatchRequest, OpenRoundRequest,
                      RankingOut, RectificationRequest, RoundOut, RoundRowOut, RubricOut,
                      ScoreRequest, SheetOut, SheetsQuery, WhatIfOut, WhatIfQuery,
                      RecomputeOut, RecomputeQuery, RoundsQuery)

log = logging.getLogger(__name__)

# The answers that wrap rows, named for the OpenAPI document.
Batches = listing("Batches", "batches", BatchOut, paged=True)
Decisions = listing("Decisions", "decisions", DecisionOut)
DecisionsPage = listing("DecisionsPage", "decisions", DecisionOut, paged=True)
Evaluators = listing("Evaluators", "evaluators", EvaluatorOut, paged=True)
Assignments = listing("Assignments", "assignments", AssignmentOut, paged=True)
Sheets = listing("Sheets", "sheets", SheetOut, paged=True)
BasesPage = listing("BasesPage", "bases", BaseRowOut, paged=True)
BaseMetrics = listing("BaseMetrics", "metrics", MetricsOut, base_id=fields.UUID(required=True))
Rounds = listing("Rounds", "rounds", RoundRowOut, paged=True)
Rubrics = listing("Rubrics", "rubrics", RubricOut, in_force=fields.Dict(keys=fields.String(), values=fields.String()))

DRC = ("drc",)
OVERSEERS = ("drc", "department", "ops")
SCOPED_READERS = OVERSEERS + ("evaluator", "applicant")  # evaluator, applicant: their own


class EvaluationSettings(DependencyProvider):
    """The ``evaluation`` section of the config, checked against the rubric and policy
    files at start-up: a version in force that does not exist stops the service there,
    not at the first batch."""

    def setup(self):
        self.settings = self.container.config["PLATFORM"].evaluation
        default_catalogue().check_in_force(self.settings.rubrics, self.settings.adjustment_policy)

    def get_dependency(self, worker_ctx):
        return self.settings


class ConfiguredTimer(Timer):
    """nameko's timer, firing every ``evaluation.deadline_check_seconds``."""

    def __init__(self, **kwargs):
        super().__init__(interval=3600, **kwargs)

    def setup(self):
        self.interval = self.container.config["PLATFORM"].evaluation.deadline_check_seconds


timer = ConfiguredTimer.decorator


class EvaluationService(DecisionsOfRecordEndpoints, PublicNoticeEndpoints,
                        CityRecommendationEndpoints, DepartmentOpinionEndpoints,
                        AnnualReportEndpoints, PublishedLog, OperationsEndpoints,
                        EvaluationDocumentEndpoints, NationalRecommendationEndpoints):
    """Selection and certification, evaluation rounds and dynamic adjustment."""

    name = "evaluation"

    app = EventStore(EvaluationApplication)
    caller = Caller()
    settings = EvaluationSettings()
    # BaseDeclared, DeclarationReturned, DeclarationResubmitted, PlanFiled
    registry_events = Subscription("registry")

    # -- batches and selection -----------------------------------------------------------

    @http("POST", "/batches", roles=DRC, body=OpenBatchRequest, response=BatchOut)
    def http_open_batch(self, request):
        return 201, self.open_batch(**read_json(request))

    @rpc(roles=DRC)
    def open_batch(self, **batch):
        """Opens a declaration batch (申报批次) with its window and quota."""
        data = validated(OpenBatchRequest(), batch)
        opened = self.app.open_batch(**data, rubrics=dict(self.settings.rubrics),
                                     ctx=self.caller.context)
        return BatchOut().dump(self.app.batch(opened.id))

    @http("POST", "/batches/<uuid:batch_id>/closing", roles=DRC, response=BatchOut)
    def http_close_batch(self, request, batch_id):
        return 201, self.close_batch(str(batch_id))

    @rpc(roles=DRC)
    def close_batch(self, batch_id):
        """Closes a batch to declarations."""
        self.app.close_batch(path_id(batch_id), ctx=self.caller.context)
        return BatchOut().dump(self.app.batch(path_id(batch_id)))

    @http("GET", "/batches", roles=OVERSEERS, query=BatchesQuery, response=Batches)
    def http_batches(self, request):
        return self.batches(**read_query(request))

    @rpc(roles=OVERSEERS)
    def batches(self, **query):
        """Every declaration batch, a page at a time."""
        rows, page = paged(validated(BatchesQuery(), query), self.app.batches)
        return {"batches": BatchOut(many=True).dump(rows), **page}

    @http("GET", "/batches/<uuid:batch_id>/ranking", roles=OVERSEERS, response=RankingOut)
    def http_ranking(self, request, batch_id):
        return self.ranking(str(batch_id))

    @rpc(roles=OVERSEERS)
    def ranking(self, batch_id):
        """The batch's ranking, folded from the log (ties broken the same way every time)."""
        return RankingOut().dump(self.app.ranking(path_id(batch_id)))

    @http("POST", "/batches/<uuid:batch_id>/certification", roles=DRC, body=CertifyRequest, response=Decisions)
    def http_certify(self, request, batch_id):
        return 201, self.certify(str(batch_id), **read_json(request))

    @rpc(roles=DRC)
    def certify(self, batch_id, **choice):
        """Certifies (认定) bases within the quota; the others are not selected."""
        data = validated(CertifyRequest(), choice)
        decisions = self.app.certify(path_id(batch_id), base_ids=data["base_ids"],
                                     reason=data["reason"], record=Record.of(data),
                                     ctx=self.caller.context)
        return {"decisions": DecisionOut(many=True).dump(decisions)}

    # -- evaluators, assignments, scores -------------------------------------------------------

    @http("POST", "/evaluators", roles=DRC, body=EvaluatorRequest, response=EvaluatorOut)
    def http_register_evaluator(self, request):
        return 201, self.register_evaluator(**read_json(request))

    @rpc(roles=DRC)
    def register_evaluator(self, **evaluator):
        """Registers an evaluator; its id is the actor id of its tokens."""
        data = validated(EvaluatorRequest(), evaluator)
        registered = self.app.register_evaluator(**data, ctx=self.caller.context)
        return EvaluatorOut().dump(self.app.evaluator(registered.id))

    @http("POST", "/evaluators/<uuid:evaluator_id>/conflicts", roles=("evaluator", "drc"), body=ConflictRequest,
           response=EvaluatorOut)
    def http_declare_conflict(self, request, evaluator_id):
        return 201, self.declare_conflict(str(evaluator_id), **read_json(request))

    @rpc(roles=("evaluator", "drc"))
    def declare_conflict(self, evaluator_id, **conflict):
        """Records a conflict of interest an evaluator declares with a base or a unit;
        it is not assigned to them, nor scores them."""
        data = validated(ConflictRequest(), conflict)
        call = self.caller
        self.app.declare_conflict(path_id(evaluator_id, "evaluator_id"), **data, actor=call.actor,
                                  ctx=call.context)
        return EvaluatorOut().dump(self.app.evaluator(path_id(evaluator_id, "evaluator_id")))

    @http("GET", "/evaluators", roles=OVERSEERS, query=EvaluatorsQuery, response=Evaluators)
    def http_evaluators(self, request):
        return self.evaluators(**read_query(request))

    @rpc(roles=OVERSEERS)
    def evaluators(self, **query):
        """Registered evaluators, searched by name or organisation, a page at a time."""
        rows, page = paged(validated(EvaluatorsQuery(), query), self.app.evaluators)
        return {"evaluators": EvaluatorOut(many=True).dump(rows), **page}

    @http("POST", "/assignments", roles=DRC, body=AssignRequest, response=AssessmentOut)
    def http_assign(self, request):
        return 201, self.assign_evaluator(**read_json(request))

    @rpc(roles=DRC)
    def assign_evaluator(self, **assignment):
        """Assigns an evaluator to a base in a batch or a round (not from its city)."""
        data = validated(AssignRequest(), assignment)
        return AssessmentOut().dump(self.app.assign(**data, ctx=self.caller.context))

    @http("GET", "/assignments", roles=OVERSEERS + ("evaluator",), query=AssignmentsQuery, response=Assignments)
    def http_assignments(self, request):
        return self.assignments(**read_query(request))

    @rpc(roles=OVERSEERS + ("evaluator",))
    def assignments(self, **query):
        """An evaluator's own assignments; overseers see anyone's."""
        rows, page = paged(validated(AssignmentsQuery(), query),
                           partial(self.app.assignments, self.caller.actor))
        return {"assignments": AssignmentOut(many=True).dump(rows), **page}

    @http("POST", "/scores", roles=("evaluator",), body=ScoreRequest, response=AssessmentOut)
    def http_score(self, request):
        return 201, self.submit_scores(**read_json(request))

    @rpc(roles=("evaluator",))
    def submit_scores(self, **sheet):
        """An evaluator's score sheet for a base it is assigned to."""
        data = validated(ScoreRequest(), sheet)
        call = self.caller
        return AssessmentOut().dump(self.app.score(**data, actor=call.actor, ctx=call.context))

    @http("GET", "/scores", roles=OVERSEERS + ("evaluator",), query=SheetsQuery, response=Sheets)
    def http_score_sheets(self, request):
        return self.score_sheets(**read_query(request))

    @rpc(roles=OVERSEERS + ("evaluator",))
    def score_sheets(self, **query):
        """Score sheets by base and occasion, for audit (an evaluator: its own)."""
        rows, page = paged(validated(SheetsQuery(), query),
                           partial(self.app.score_sheets, self.caller.actor))
        return {"sheets": SheetOut(many=True).dump(rows), **page}

    @http("GET", "/rubrics", response=Rubrics)
    def http_rubrics(self, request):
        return self.rubrics()

    @rpc
    def rubrics(self):
        """Every rubric version: dimensions, weights, indicators and grade thresholds."""
        return {"rubrics": RubricOut(many=True).dump(self.app.rubrics()),
                "in_force": dict(self.settings.rubrics)}

    # -- bases, metrics, decisions -------------------------------------------------------------------

    @http("GET", "/bases", roles=OVERSEERS, query=BasesQuery, response=BasesPage)
    def http_list_bases(self, request):
        return self.list_bases(**read_query(request))

    @rpc(roles=OVERSEERS)
    def list_bases(self, **filters):
        """Bases with their status, by status, batch, kind and city, a page at a time."""
        rows, page = paged(validated(BasesQuery(), filters), self.app.list_bases)
        return {"bases": BaseRowOut(many=True).dump(rows), **page}

    @http("GET", "/bases/<uuid:base_id>", roles=SCOPED_READERS, response=BaseOut)
    def http_get_base(self, request, base_id):
        return self.get_base(str(base_id))

    @rpc(roles=SCOPED_READERS)
    def get_base(self, base_id):
        """A base: status, decisions, metrics, scores (applicants: their own base)."""
        return BaseOut().dump(self.app.get_base(path_id(base_id), self.caller.actor))

    @http("POST", "/bases/<uuid:base_id>/metrics", roles=("applicant",), body=MetricsRequest, response=BaseOut)
    def http_report_metrics(self, request, base_id):
        return 201, self.report_metrics(str(base_id), **read_json(request))

    @rpc(roles=("applicant",))
    def report_metrics(self, base_id, **report):
        """The base's metrics for a half-year, or an explicit correction of them."""
        data = validated(MetricsRequest(), report)
        call = self.caller
        self.app.report_metrics(path_id(base_id), **data, actor=call.actor, ctx=call.context)
        return BaseOut().dump(self.app.get_base(path_id(base_id), call.actor))

    @http("GET", "/bases/<uuid:base_id>/metrics", roles=SCOPED_READERS, response=BaseMetrics)
    def http_base_metrics(self, request, base_id):
        return self.base_metrics(str(base_id))

    @rpc(roles=SCOPED_READERS)
    def base_metrics(self, base_id):
        """A base's metrics per period, with every revision (applicants: their own)."""
        rows = self.app.base_metrics(path_id(base_id), self.caller.actor)
        return {"base_id": str(base_id), "metrics": MetricsOut(many=True).dump(rows)}

    @http("GET", "/decisions", roles=SCOPED_READERS, query=DecisionsQuery, response=DecisionsPage)
    def http_decisions(self, request):
        return self.decisions(**read_query(request))

    @rpc(roles=SCOPED_READERS)
    def decisions(self, **query):
        """Decisions on bases, oldest first (applicants: of their own base)."""
        rows, page = paged(validated(DecisionsQuery(), query),
                           partial(self.app.decisions, self.caller.actor))
        return {"decisions": DecisionOut(many=True).dump(rows), **page}

    @http("POST", "/bases/<uuid:base_id>/rectification", roles=DRC, body=RectificationRequest,
           response=DecisionOut)
    def http_accept_rectification(self, request, base_id):
        return 201, self.accept_rectification(str(base_id), **read_json(request))

    @rpc(roles=DRC)
    def accept_rectification(self, base_id, **acceptance):
        """Accepts a warned base's rectification (整改验收) before its deadline."""
        data = validated(RectificationRequest(), acceptance)
        decision = self.app.accept_rectification(path_id(base_id), note=data["note"],
                                                 ctx=self.caller.context)
        return DecisionOut().dump(decision)

    @http("POST", "/rectifications/overdue", roles=DRC, response=Decisions)
    def http_revoke_overdue(self, request):
        return 201, self.revoke_overdue()

    @rpc(roles=DRC)
    def revoke_overdue(self):
        """Now, what the timer does: decides on warned bases past their deadline."""
        decisions = self.app.revoke_overdue(ctx=self.caller.context)
        return {"decisions": DecisionOut(many=True).dump(decisions)}

    @timer()
    def revoke_overdue_on_schedule(self):
        """Decides on warned bases past their deadline, as the platform, on schedule."""
        decisions = self.app.revoke_overdue()
        if decisions:
            log.info("revoked %s bases whose rectification deadline passed", len(decisions))

    # -- evaluation rounds ------------------------------------------------------------------------------

    @http("POST", "/rounds", roles=DRC, body=OpenRoundRequest, response=RoundOut)
    def http_open_round(self, request):
        return 201, self.open_round(**read_json(request))

    @rpc(roles=DRC)
    def open_round(self, **evaluation):
        """Opens an inspection or third-party round for the bases in good standing."""
        data = validated(OpenRoundRequest(), evaluation)
        rubrics = {**self.settings.rubrics, **data.pop("rubrics")}
        opened = self.app.open_round(**data, rubrics=rubrics, ctx=self.caller.context)
        return RoundOut().dump(self.app.round(opened.id))

    @http("GET", "/rounds", roles=OVERSEERS, query=RoundsQuery, response=Rounds)
    def http_rounds(self, request):
        return self.rounds(**read_query(request))

    @rpc(roles=OVERSEERS)
    def rounds(self, **query):
        """Evaluation rounds, by kind, a page at a time."""
        rows, page = paged(validated(RoundsQuery(), query), self.app.rounds)
        return {"rounds": RoundRowOut(many=True).dump(rows), **page}

    @http("GET", "/rounds/<uuid:round_id>", roles=OVERSEERS, response=RoundOut)
    def http_round(self, request, round_id):
        return self.round(str(round_id))

    @rpc(roles=OVERSEERS)
    def round(self, round_id):
        """A round with each base's status, scores, grade and metrics of the period."""
        return RoundOut().dump(self.app.round(path_id(round_id)))

    @http("POST", "/rounds/<uuid:round_id>/closing", roles=DRC, body=CloseRoundRequest, response=Decisions)
    def http_close_round(self, request, round_id):
        return 201, self.close_round(str(round_id), **read_json(request))

    @rpc(roles=DRC)
    def close_round(self, round_id, **closing):
        """Grades every base of the round and decides on each under the policy."""
        data = validated(CloseRoundRequest(), closing)
        decisions = self.app.close_round(path_id(round_id), policy_version=data["policy_version"],
                                         reason=data["reason"], record=Record.of(data),
                                         ctx=self.caller.context)
        return {"decisions": DecisionOut(many=True).dump(decisions)}

    @http("GET", "/rounds/<uuid:round_id>/what-if", roles=OVERSEERS, query=WhatIfQuery, response=WhatIfOut)
    def http_what_if(self, request, round_id):
        return self.what_if(str(round_id), **read_query(request))

    @rpc(roles=OVERSEERS)
    def what_if(self, round_id, **query):
        """What another policy version would have decided on a closed round; writes nothing."""
        data = validated(WhatIfQuery(), query)
        return WhatIfOut().dump(self.app.what_if(path_id(round_id), data["policy_version"]))


    @http("GET", "/recompute", roles=OVERSEERS, query=RecomputeQuery, response=RecomputeOut)
    def http_recompute(self, request):
        return self.recompute(**read_query(request))

    @rpc(roles=OVERSEERS)
    def recompute(self, **query):
        """Which bases the whole history would put in another status under another
        policy version (e.g. a draft of new rules); writes nothing."""
        data = validated(RecomputeQuery(), query)
        result = self.app.recompute(data["policy_version"])
        out = RecomputeOut().dump(result)
        for row in out["bases"] + out["changed"]:
            row["decisions_under_policy"] = jsonable(row["decisions_under_policy"])
        return out

    # -- the console's 待办 (issue 25) -------------------------------------------------------------

    @http("GET", "/todo", response=TodoOut)
    def http_todo(self, request):
        return self.todo()

    @rpc
    def todo(self):
        """What waits for the caller in evaluation: an evaluator's bases to score, the
        DRC's warned bases by rectification deadline (oldest first)."""
        items = waiting.todo(self.app, self.caller.actor)
        items += dead_letter_items(self.operations, self.caller.actor)
        return schema(TodoOut).dump(todo_answer(items))
