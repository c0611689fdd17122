"""A valid request for every endpoint of a service that reads a body, on resources
created first (a batch, a base, a plan, an evaluator, a round, an envelope, an
allocation, a subscription), with the schema that judges the body: what the property
tests of every endpoint change one field at a time."""

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable
from uuid import UUID, uuid4

import requests

from services.backbone.ops.endpoints import DeadLetterAction
from services.contracts.vocabulary import CONSTRUCTION_TASKS
from services.evaluation import annual_schemas
from services.evaluation import national_schemas, notice_schemas, record_schemas, schemas as evaluation
from services.evaluation.opinion_endpoints import OpinionRequest, OpinionRequestRequest
from services.evaluation.recommendation_endpoints import RecommendationRequest
from services.funding import schemas as funding
from services.notifications import schemas as notifications
from services.registry import schemas as registry
from tests.support.evaluation_http import SHEET
from tests.integration.test_registry_plans import TARGETS, TASKS
from tests.support.upstream import base_declared
from tests.support.broker import UpstreamLog
from tests.support.fixtures import batch_opened_payload, declaration
from tests.support.funding import (allocation_body, base_adjusted_payload, base_declared_payload,
                                   plan_filed_payload)
from tests.support.platform import wait_until


@dataclass
class Example:
    role: str
    path: str
    body: Callable[[], dict]  # a fresh valid body each call (new names: a success does not collide)
    schema: type
    scope: dict = field(default_factory=dict)
    headers: Callable[[], dict] = dict


def _post(platform, service, path, body, role="drc", expect=201, method="POST", **scope) -> dict:
    response = requests.request(method, platform.url(service, path), json=body,
                                headers=platform.headers(role, **scope), timeout=30)
    assert response.status_code == expect, response.text
    return response.json()


def _dead_letter_actions(service: str) -> dict[str, Example]:
    def action():
        return {"queue": f"sc.{service}.from.evaluation.dlq", "message_id": str(uuid4()), "reason": "核对"}

    return {f"POST /ops/dead-letters/{verb}": Example("ops", f"/ops/dead-letters/{verb}", action, DeadLetterAction)
            for verb in ("replay", "discard")}


def _caught_up(platform, service, *upstreams: UpstreamLog) -> None:
    app = platform.app(service)
    wait_until(lambda: all(app.last_position(u.source) >= u.position for u in upstreams), timeout=30,
               message=f"{service} to apply what the test published")


def registry_examples(platform, upstreams) -> tuple[dict[str, Example], dict]:
    evaluation_log = upstreams("evaluation")
    batch = batch_opened_payload()
    evaluation_log.emit("BatchOpened", batch)
    _caught_up(platform, "registry", evaluation_log)
    names = itertools.count()
    base_id = _post(platform, "registry", "/bases", declaration(batch["batch_id"]))["base_id"]
    applicant = {"name": "山西大学", "base_ids": [UUID(base_id)]}
    _post(platform, "registry", f"/bases/{base_id}/plan", {"tasks": TASKS, "targets": TARGETS},
          role="applicant", expect=200, method="PUT", **applicant)
    county = {"name": "小店区人民政府", "region": ("太原市", "小店区")}
    return {
        "POST /bases": Example("drc", "/bases", lambda: declaration(batch["batch_id"], name=f"示范基地{next(names)}"),
                               registry.DeclareRequest),
        "PUT /bases/<uuid:base_id>/plan": Example("applicant", f"/bases/{base_id}/plan",
                                                  lambda: {"tasks": TASKS, "targets": TARGETS},
                                                  registry.PlanRequest, applicant),
        "POST /bases/<uuid:base_id>/plan/approvals": Example(
            "county_government", f"/bases/{base_id}/plan/approvals", lambda: {"version": 1},
            registry.ApprovalRequest, county),
        "POST /tokens/revocations": Example(
            "ops", "/tokens/revocations",
            lambda: {"jti": str(uuid4()), "expires_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
                     "reason": "令牌遗失"}, registry.RevocationRequest),
        "POST /bases/<uuid:base_id>/plan/returns": Example(
            "county_government", f"/bases/{base_id}/plan/returns",
            lambda: {"version": 1, "comments": "孵化目标偏低，请修改"}, registry.PlanReturnRequest, county),
        "POST /bases/<uuid:base_id>/declaration/returns": Example(
            "drc", f"/bases/{base_id}/declaration/returns", lambda: {"comments": "缺少盖章的申报书"},
            registry.DeclarationReturnRequest),
        "POST /bases/<uuid:base_id>/declaration/resubmissions": Example(
            "applicant", f"/bases/{base_id}/declaration/resubmissions", lambda: {"note": "已补充"},
            registry.ResubmissionRequest, applicant),
        "POST /bases/<uuid:base_id>/representative": Example(
            "drc", f"/bases/{base_id}/representative",
            lambda: {"applicant_id": str(uuid4()), "reason": "代为申报，移交本单位"}, registry.ReassignRequest),
        **_dead_letter_actions("registry"),
    }, {"base_id": base_id, "batch_id": batch["batch_id"]}


def _national_call_examples(base_id: str) -> dict[str, Example]:
    """The national call's writes on a call that does not exist: valid bodies, answered 404
    (no round has closed here to open a call from)."""
    call = f"/national-calls/{uuid4()}"
    return {
        "POST /national-calls": Example("drc", "/national-calls", lambda: {"year": 2019, "quota": 2},
                                        national_schemas.OpenNationalCallRequest),
        "POST /national-calls/<uuid:call_id>/candidates": Example(
            "drc", f"{call}/candidates", lambda: {"candidates": [{"base_id": base_id, "reason": "评估优秀"}]},
            national_schemas.ChooseCandidatesRequest),
        "POST /national-calls/<uuid:call_id>/notice": Example(
            "drc", f"{call}/notice", lambda: {"title": "拟推荐国家级示范基地公示", "contact": "省发展改革委"},
            national_schemas.NationalNoticeRequest),
        "POST /national-calls/<uuid:call_id>/submission": Example(
            "drc", f"{call}/submission",
            lambda: {"document_number": "晋发改高技发〔2019〕12号", "submitted_on": "2019-05-10"},
            national_schemas.SubmitNationalRequest),
        "POST /national-calls/<uuid:call_id>/outcomes": Example(
            "drc", f"{call}/outcomes",
            lambda: {"base_id": base_id, "selected": True, "document_number": "发改高技〔2019〕1254号",
                     "effective_on": "2019-08-01", "reason": "入选"},
            national_schemas.NationalOutcomeRequest),
    }


def evaluation_examples(platform, upstreams) -> tuple[dict[str, Example], dict]:
    now = datetime.now(timezone.utc)
    names = itertools.count()

    def batch():
        return {"name": f"第{next(names)}批", "opens_at": (now - timedelta(days=1)).isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat(), "quota": 12}

    def evaluator():
        return {"name": f"专家{next(names)}", "organisation": "专家库", "region": {"city": "大同市", "county": "平城区"}}

    batch_id = _post(platform, "evaluation", "/batches", batch())["batch_id"]
    registry_log = upstreams("registry")
    declared = base_declared(batch_id=batch_id)
    registry_log.emit("BaseDeclared", declared, role="applicant")
    _caught_up(platform, "evaluation", registry_log)
    base_id = declared["base_id"]
    evaluator_id = _post(platform, "evaluation", "/evaluators", evaluator())["evaluator_id"]
    occasion = {"batch_id": batch_id, "base_id": base_id}
    _post(platform, "evaluation", "/assignments", {**occasion, "evaluator_id": evaluator_id})
    expert = {"name": "专家", "actor_id": UUID(evaluator_id)}
    _post(platform, "evaluation", "/scores", {**occasion, "scores": dict(SHEET)}, role="evaluator", **expert)
    _post(platform, "evaluation", f"/batches/{batch_id}/closing", {})
    _post(platform, "evaluation", f"/batches/{batch_id}/certification", {"base_ids": [base_id]})
    round_id = _post(platform, "evaluation", "/rounds", {"kind": "inspection", "name": "2018年上半年督促检查",
                                                          "period": "2018H1"})["round_id"]
    occasion = {"round_id": round_id, "base_id": base_id}  # the batch is concluded: a round goes on
    _post(platform, "evaluation", "/assignments", {**occasion, "evaluator_id": evaluator_id})
    values = {"incubated_enterprises": 12, "jobs_created": 300, "financing_raised": "1500000.00",
              "patents": 8, "events_held": 20}

    def annual_report():  # of this year (Beijing), open until 31 March of the next
        return {"year": datetime.now(timezone(timedelta(hours=8))).year,
                "narratives": {task: "年度完成情况" for task in CONSTRUCTION_TASKS["university"]},
                "figures": {**values, "incubators": 1, "makerspaces": 2, "technology_transfers": 3},
                "documents": [{"sha256": "ab" * 32, "name": "自评报告.pdf"}]}

    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    document = {"effective_on": today, "document_number": "晋发改创新发〔2018〕7号",
                "document": {"sha256": "ab" * 32, "name": "决定.pdf"}}

    def notice():
        return {"title": f"拟撤销名单公示{next(names)}", "purpose": "revocation", "base_ids": [base_id],
                "working_days": 5, "contact": "省发展改革委 0351-3046000"}

    def objection():
        return {"base_id": base_id, "objector": {"name": "王某", "contact": "0351-1234567"},
                "text": "该基地材料不实", "documents": [{"sha256": "cd" * 32, "name": "证据.pdf"}]}

    notice_id = _post(platform, "evaluation", "/notices", notice())["notice_id"]
    objection_id = _post(platform, "evaluation", f"/notices/{notice_id}/objections", objection())["objection_id"]
    return {
        "POST /notices": Example("drc", "/notices", notice, notice_schemas.PublishNoticeRequest),
        **_national_call_examples(base_id),
        "POST /notices/<uuid:notice_id>/objections": Example(
            "drc", f"/notices/{notice_id}/objections", objection, notice_schemas.ObjectionRequest),
        "POST /notices/<uuid:notice_id>/objections/<uuid:objection_id>/answer": Example(
            "drc", f"/notices/{notice_id}/objections/{objection_id}/answer",
            lambda: {"upheld": False, "reasons": "经核查不成立"}, notice_schemas.AnswerRequest),
        "POST /batches/<uuid:batch_id>/certification-of-record": Example(
            "drc", f"/batches/{batch_id}/certification-of-record", lambda: {**document, "base_ids": [base_id]},
            record_schemas.CertificationOfRecordRequest),
        "POST /batches/<uuid:batch_id>/city-recommendation": Example(
            "city_government", f"/batches/{batch_id}/city-recommendation",
            lambda: {"recommended": [base_id], "not_recommended": []},
            RecommendationRequest, {"name": "太原市人民政府", "region": ("太原市",)}),
        "POST /batches/<uuid:batch_id>/opinion-requests": Example(
            "drc", f"/batches/{batch_id}/opinion-requests",
            lambda: {"departments": [f"山西省教育厅{next(names)}"]}, OpinionRequestRequest),
        "POST /batches/<uuid:batch_id>/opinions": Example(
            "department", f"/batches/{batch_id}/opinions", lambda: {"opinion": "agree", "comments": ""},
            OpinionRequest, {"name": "山西省教育厅", "org": "山西省教育厅"}),
        "POST /bases/<uuid:base_id>/decisions/<int:number>/publication": Example(
            "drc", f"/bases/{base_id}/decisions/1/publication",
            lambda: {"document_number": document["document_number"], "document": document["document"]},
            record_schemas.PublicationRequest),
        "POST /bases/<uuid:base_id>/decision-of-record": Example(
            "drc", f"/bases/{base_id}/decision-of-record",
            lambda: {**document, "to_status": "retained", "reason": "保留"}, record_schemas.DecisionOfRecordRequest),
        "POST /batches": Example("drc", "/batches", batch, evaluation.OpenBatchRequest),
        "POST /evaluators": Example("drc", "/evaluators", evaluator, evaluation.EvaluatorRequest),
        "POST /evaluators/<uuid:evaluator_id>/conflicts": Example(
            "evaluator", f"/evaluators/{evaluator_id}/conflicts",
            lambda: {"unit": f"某单位{next(names)}", "reason": "本人在该单位兼职"}, evaluation.ConflictRequest,
            expert),
        "POST /assignments": Example("drc", "/assignments", lambda: {**occasion, "evaluator_id": evaluator_id},
                                     evaluation.AssignRequest),
        "POST /scores": Example("evaluator", "/scores", lambda: {**occasion, "scores": dict(SHEET), "comment": "良好"},
                                evaluation.ScoreRequest, expert),
        "POST /rounds": Example("drc", "/rounds", lambda: {"kind": "third_party", "name": f"评估{next(names)}",
                                                           "period": "2018H1"}, evaluation.OpenRoundRequest),
        "POST /bases/<uuid:base_id>/metrics": Example(
            "applicant", f"/bases/{base_id}/metrics", lambda: {"period": "2018H1", "values": dict(values),
                                                               "correction": True, "note": "更正"},
            evaluation.MetricsRequest, {"name": "山西大学", "base_ids": [UUID(base_id)]}),
        "POST /bases/<uuid:base_id>/annual-reports": Example(
            "applicant", f"/bases/{base_id}/annual-reports", annual_report,
            annual_schemas.AnnualReportRequest, {"name": "山西大学", "base_ids": [UUID(base_id)]}),
        "POST /batches/<uuid:batch_id>/certification": Example(
            "drc", f"/batches/{batch_id}/certification", lambda: {"base_ids": [base_id]}, evaluation.CertifyRequest),
        "POST /bases/<uuid:base_id>/rectification": Example(
            "drc", f"/bases/{base_id}/rectification", lambda: {"note": "整改到位"}, evaluation.RectificationRequest),
        "POST /rounds/<uuid:round_id>/closing": Example(
            "drc", f"/rounds/{round_id}/closing", lambda: {"policy_version": "adjustment-2018.1"},
            evaluation.CloseRoundRequest),
        **_dead_letter_actions("evaluation"),
    }, {"base_id": base_id, "batch_id": batch_id, "round_id": round_id}


def funding_examples(platform, upstreams) -> tuple[dict[str, Example], dict]:
    registry_log, evaluation_log = upstreams("registry"), upstreams("evaluation")
    base_id = str(uuid4())
    registry_log.emit("BaseDeclared", base_declared_payload(base_id))
    registry_log.emit("PlanFiled", plan_filed_payload(base_id))
    evaluation_log.emit("BaseAdjusted", base_adjusted_payload(base_id, "declared", "certified"))
    _caught_up(platform, "funding", registry_log, evaluation_log)
    office = {"name": "山西省财政厅资金管理处"}

    def envelope():
        return {"fiscal_year": 2017, "fund_source": "provincial_budget", "total": "50000000.00",
                "name": f"2017年预算 {uuid4().hex[:6]}", "caps": {"by_kind": {"university": "9000000.00"}}}

    envelope_id = _post(platform, "funding", "/envelopes", envelope(), role="funding_office", **office)["envelope_id"]
    key = {"Idempotency-Key": str(uuid4())}
    allocation = requests.post(platform.url("funding", "/allocations"), json=allocation_body(base_id, envelope_id),
                               headers={**platform.headers("funding_office", **office), **key}, timeout=30).json()
    allocation_id, tranche_id = allocation["allocation_id"], allocation["tranches"][0]["tranche_id"]
    return {
        "POST /envelopes": Example("funding_office", "/envelopes", envelope, funding.EnvelopeRequest, office),
        "POST /allocations": Example("funding_office", "/allocations",
                                     lambda: allocation_body(base_id, envelope_id, amount="1000.00"),
                                     funding.AllocationRequest, office, lambda: {"Idempotency-Key": str(uuid4())}),
        "POST /allocations/<uuid:allocation_id>/tranches/<uuid:tranche_id>/disbursement": Example(
            "funding_office", f"/allocations/{allocation_id}/tranches/{tranche_id}/disbursement",
            lambda: {"milestone": "建设方案备案", "reference": "晋财拨〔2017〕118号"}, funding.DisbursementRequest, office),
        "POST /allocations/<uuid:allocation_id>/recoveries": Example(
            "funding_office", f"/allocations/{allocation_id}/recoveries",
            lambda: {"amount": "100.00", "reference": "晋财收〔2018〕9号"}, funding.RecoveryRequest, office,
            lambda: {"Idempotency-Key": str(uuid4())}),
        **_dead_letter_actions("funding"),
    }, {"base_id": base_id, "envelope_id": envelope_id, "allocation_id": allocation_id, "tranche_id": tranche_id}


def notifications_examples(platform, upstreams) -> tuple[dict[str, Example], dict]:
    department = {"name": "山西省科学技术厅", "org": "山西省科学技术厅", "actor_id": uuid4()}

    def subscription():
        return {"label": "科技厅", "filter": {"event_types": ["BaseDeclared"], "kinds": ["university"],
                                             "regions": [{"city": "太原市"}]},
                "channel": {"kind": "webhook", "url": "http://127.0.0.1:9/hooks", "secret": "s" * 20}}

    subscription_id = _post(platform, "notifications", "/subscriptions", subscription(), role="department",
                            **department)["subscription_id"]
    return {
        "POST /subscriptions": Example("department", "/subscriptions", subscription,
                                       notifications.SubscribeRequest, department),
        "PATCH /subscriptions/<uuid:subscription_id>": Example(
            "department", f"/subscriptions/{subscription_id}",
            lambda: {"label": "科技厅 v2", "filter": {"kinds": ["regional"]}, "channel": {"secret": "t" * 20}},
            notifications.ChangeRequest, department),
        "POST /subscriptions/<uuid:subscription_id>/backfill": Example(
            "department", f"/subscriptions/{subscription_id}/backfill",
            lambda: {"from": "2017-03-01T00:00:00+08:00", "rate": 5},
            notifications.BackfillRequest, department),
        **_dead_letter_actions("notifications"),
    }, {"subscription_id": subscription_id}


# Mutating routes that read no body: only their path and their caller matter.
WITHOUT_BODY = {"POST /bases/<uuid:base_id>/plan/filing", "POST /batches/<uuid:batch_id>/closing",
                "POST /rectifications/overdue", "DELETE /subscriptions/<uuid:subscription_id>",
                "DELETE /subscriptions/<uuid:subscription_id>/backfill",
                "POST /deliveries/<uuid:delivery_id>/resend", "POST /inbox/<uuid:delivery_id>/read",
                # uploads read multipart, not JSON (tests/integration/test_*_documents.py)
                "POST /bases/<uuid:base_id>/documents", "POST /allocations/<uuid:allocation_id>/documents"}
EXAMPLES = {"registry": registry_examples, "evaluation": evaluation_examples,
            "funding": funding_examples, "notifications": notifications_examples}
