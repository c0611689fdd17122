"""The programme's shared vocabulary, taken from the 2017 policy (see ../shared/seed).

Codes are English (stable, used in payloads); names are the Chinese terms officials use.
Every service and every department consuming events reads these same lists.
"""

KINDS = {
    "regional": "区域示范基地",
    "university": "高校和科研院所示范基地",
    "enterprise": "企业示范基地",
}

# Section 四 (建设任务): the construction tasks of each kind of base. A construction plan
# covers exactly these tasks; evaluation rubrics use them as their dimensions.
CONSTRUCTION_TASKS = {
    "regional": {
        "service_oriented_government": "推进服务型政府建设",
        "policy_measures": "完善双创政策措施",
        "financing_channels": "拓宽创业创新融资渠道",
        "ecosystem": "构建创业创新生态",
        "culture": "加强双创文化建设",
    },
    "university": {
        "talent_cultivation": "完善创业人才培养和流动机制",
        "technology_transfer": "加速科技成果转化",
        "student_entrepreneurship": "构建大学生创业支持体系",
        "support_services": "建立健全双创支撑服务体系",
    },
    "enterprise": {
        "management_system": "构建适合创业创新的企业管理体系",
        "employee_creativity": "激发企业员工创造力",
        "investment_financing": "拓展创业创新投融资渠道",
        "open_resources": "开放企业创业创新资源",
    },
}

# The status of a base follows from its history (declaration, selection, evaluations,
# adjustments); nobody edits it directly.
STATUSES = {
    "declared": "已申报",
    "certified": "已认定",
    "not_selected": "未入选",
    "retained": "保留",
    "warned": "警示整改",
    "revoked": "撤销",
    "recommended_national": "推荐申报国家级",
}

# Statuses in which a base is a provincial demonstration base in good standing or under
# rectification: it may file and revise its construction plan.
# Shanxi's 11 cities (设区市), the level at which conflicts of interest are judged and
# subscriptions and lists are narrowed. Requests must name one of these exactly; events
# logged before the list was enforced may hold free text ("太原", "太原市 "), which
# ``normalise_city`` reads as the city it means.
CITIES = ("太原市", "大同市", "朔州市", "忻州市", "阳泉市", "吕梁市", "晋中市", "长治市",
          "晋城市", "临汾市", "运城市")


def normalise_city(text: str) -> str:
    """A city name as the vocabulary writes it: without any whitespace, and with the
    市 an old free-text entry may have left off ("太原" -> "太原市"); other text is
    returned stripped, to compare as it is."""
    plain = "".join(str(text or "").split())
    return f"{plain}市" if f"{plain}市" in CITIES else plain


ACTIVE_STATUSES = ("certified", "retained", "warned", "recommended_national")

ROLES = {
    "drc": "省发展改革委",
    "county_government": "县（市、区）人民政府",
    "city_government": "设区市人民政府",
    "competent_department": "主管部门",
    "applicant": "示范基地建设单位",
    "evaluator": "评审专家 / 第三方评估机构",
    "funding_office": "财政资金管理",
    "department": "省直相关部门",
    "ops": "运维",
    "service": "平台服务",
    "admin": "系统管理员",
}

# Who may appear as the actor of an event: every role a token may carry, and the public
# (公众), which signs in nowhere and acts once only: lodging an objection to a public
# notice (公示). No token carries it.
ACTOR_ROLES = {**ROLES, "public": "公众"}

SERVICES = ("registry", "evaluation", "funding", "notifications")

# Performance metrics a base reports per period; they feed evaluation.
METRICS = {
    "incubated_enterprises": "孵化企业数",
    "jobs_created": "带动就业人数",
    "financing_raised": "融资额（元）",
    "patents": "专利数",
    "events_held": "双创活动场次",
}

# What a base's annual self-evaluation (年度自评) counts, and what a plan's targets may
# name: the half-yearly metrics above and the other figures the construction tasks of
# section 四 speak of (incubators and makerspaces, technology transfer). Money is yuan.
ANNUAL_INDICATORS = {
    "incubators": "孵化器数",
    "makerspaces": "众创空间数",
    "incubated_enterprises": "孵化企业数",
    "jobs_created": "带动就业人数",
    "patents": "专利数",
    "technology_transfers": "科技成果转化项数",
    "financing_raised": "融资额（元）",
    "events_held": "双创活动场次",
}
MONEY_INDICATORS = ("financing_raised",)

# Section 三: the six reform areas, used as tags on plans, metrics and notifications.
REFORM_AREAS = {
    "market_space": "拓宽市场主体发展空间",
    "ip_protection": "强化知识产权保护和管理",
    "technology_transfer": "加速科技成果转化",
    "fiscal_finance": "加大财税金融支持力度",
    "talent_mobility": "促进创业创新人才流动",
    "open_sharing": "加强协同创新和开放共享",
}

# What an attached document is (its bytes say only what format it is in).
DOCUMENT_KINDS = {
    "declaration_form": "申报书",
    "construction_plan": "建设方案",
    "approval_letter": "批复文件",
    "return_letter": "退回意见",
    "evaluation_report": "评估报告",
    "self_evaluation_report": "自评报告",
    "rectification_report": "整改报告",
    "decision_document": "决定文件",
    "payment_voucher": "拨付凭证",
    "supplementary": "补充材料",
}

# The named steps a tranche of funding waits for (拨付节点): funding pays a tranche only
# once its step is reached, by what it has recorded of the base, and only after the
# tranches before it. Allocations logged before these codes hold free text, read as is.
MILESTONES = {
    "plan_filed": "建设方案备案",
    "evaluation_passed": "评估合格",  # an evaluation round, or an accepted rectification, kept the base
}

GRADES = {
    "excellent": "优秀",
    "good": "良好",
    "qualified": "合格",
    "unqualified": "不合格",
}

# The console (工作台): the words of its pages, of the services as a person knows them,
# and of an account's state. Templates take every such word from here.
CONSOLE_PAGES = {
    "dashboard": "首页",
    "stats": "统计",
    "todo": "待办",
    "bases": "基地",
    "inbox": "通知",
    "ops": "运维",
    "accounts": "用户",
    "password": "修改密码",
    "sign_in": "登录",
    "sign_out": "退出",
}

SERVICE_NAMES = {
    "registry": "基地登记",
    "evaluation": "评审评估",
    "funding": "资金管理",
    "notifications": "通知推送",
    "console": "工作台",
}

ACCOUNT_STATES = {
    "active": "正常",
    "must_change_password": "待修改密码",
    "disabled": "已停用",
}

DELIVERY_STATUSES = {
    "pending": "待发送",
    "sending": "发送中",
    "delivered": "已送达",
    "failed": "发送失败",
    "abandoned": "已放弃",
}

# What waits for a person (each service's ``GET /todo`` names its items by these codes).
TODO_TASKS = {
    "approve_plan": "审议建设方案",
    "file_plan": "建设方案备案",
    "draft_plan": "编制建设方案",
    "score_base": "评审打分",
    "rectification_due": "整改到期",
    "rectification": "限期整改",
    "annual_report": "报送年度自评报告",
    "allocate_funds": "安排资金",
    "disburse_tranche": "拨付资金",
    "collect_recovery": "追回资金",
    "read_notification": "阅读通知",
    "dead_letter": "处理死信",
}

# What happened to a base, in a timeline's words: (service, event) as the audit names them.
EVENT_NAMES = {
    ("registry", "Base.Declared"): "申报",
    ("registry", "Base.Reassigned"): "移交申报单位",
    ("registry", "Base.StatusRecorded"): "状态变更",
    ("registry", "Base.PlanDrafted"): "编制建设方案",
    ("registry", "Base.PlanApproved"): "审议通过建设方案",
    ("registry", "Base.PlanFiled"): "建设方案备案",
    ("registry", "Base.PlanSubmitted"): "提交建设方案",
    ("registry", "Base.PlanReturned"): "退回修改建设方案",
    ("registry", "Base.DeclarationReturned"): "退回补正申报材料",
    ("registry", "Base.DeclarationResubmitted"): "补正后重新提交",
    ("registry", "Base.DocumentAttached"): "上传材料",
    ("registry", "Base.NationalRecorded"): "登记国家级推荐情况",
    ("evaluation", "Base.DecisionPublished"): "决定印发（文号）",
    ("evaluation", "AnnualReporting.Submitted"): "提交年度自评报告",
    ("evaluation", "Base.DeclarationReceived"): "收到申报",
    ("evaluation", "Base.Adjusted"): "评选认定 / 动态调整",
    ("evaluation", "Base.MetricsReported"): "报送绩效指标",
    ("evaluation", "Batch.DeclarationJoined"): "列入申报批次",
    ("evaluation", "Assessment.Opened"): "开始评审",
    ("evaluation", "Assessment.EvaluatorAssigned"): "分配评审专家",
    ("evaluation", "Assessment.Scored"): "专家评分",
    ("funding", "BaseStanding.Recorded"): "资金台账建档",
    ("funding", "BaseStanding.Declared"): "资金台账登记申报",
    ("funding", "BaseStanding.PlanFiled"): "资金台账登记方案备案",
    ("funding", "BaseStanding.StatusRecorded"): "资金台账登记状态",
    ("funding", "BaseStanding.StaleStatusIgnored"): "忽略过时状态",
    ("funding", "BaseStanding.Funded"): "获得资金安排",
    ("funding", "BaseStanding.Paid"): "资金到位",
    ("notifications", "KnownBase.Noted"): "登记基地以便推送通知",
    ("funding", "Envelope.Committed"): "占用预算额度",
    ("funding", "Envelope.Returned"): "退回预算额度",
    ("funding", "Allocation.Allocated"): "安排资金",
    ("funding", "Allocation.TrancheDisbursed"): "拨付资金",
    ("funding", "Allocation.Held"): "暂缓拨付",
    ("funding", "Allocation.HoldReleased"): "恢复拨付",
    ("funding", "Allocation.TranchesCancelled"): "取消未拨付资金",
    ("funding", "Allocation.RecoveryDemanded"): "要求追回资金",
    ("funding", "Allocation.Recovered"): "追回资金",
}

# What a decision on a base rests on (``contracts.evaluation.BASES_OF_DECISION``).
DECISION_BASES = {
    "selection": "评选认定",
    "evaluation": "年度评估",
    "rectification": "整改验收",
    "deadline": "整改逾期",
    "review": "复核",
    "record": "政府文件",
    "notice": "公示期满",
}
