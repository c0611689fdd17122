"""The programme's data for the demo: who declares, who evaluates, how the bases score,
what their plans say, what they report and what they are given.

The twelve first-batch bases are the policy's annex (``services.registry.fixtures``);
everything else here is invented but shaped like the real thing: Shanxi's places and
departments, evaluators from cities other than the bases they score, money in yuan as
decimal strings. Scores are chosen so that the story comes out as the policy foresees:
the twelve rank above the others; in 2018 a few bases excel, two fail and one of them
fails again.
"""

from decimal import Decimal

from services.contracts.vocabulary import CONSTRUCTION_TASKS
from services.registry.fixtures import first_batch

FIRST_BATCH = "2017年第一批"
SECOND_BATCH = "2018年第二批"
SECOND_BATCH_QUOTA = 3

AREA_CODES = {"太原市": "0351", "大同市": "0352", "阳泉市": "0353", "晋中市": "0354",
              "长治市": "0355", "晋城市": "0356", "临汾市": "0357", "吕梁市": "0358",
              "运城市": "0359", "忻州市": "0350", "朔州市": "0349"}
CONTACTS = ["王建华", "李晓燕", "张志刚", "刘慧敏", "陈国栋", "杨丽娟", "赵文博", "郭海涛",
            "马俊峰", "孙亚楠", "高永红", "梁建军", "韩雪梅", "霍志强", "田玉兰", "武晓东",
            "范丽萍", "贾振华", "侯晓燕", "段国庆"]

# Declarations of the first batch that will not be selected (名额 12 个).
FIRST_BATCH_OTHERS = [
    {"name": "忻州市忻府区", "kind": "regional", "region": {"city": "忻州市", "county": "忻府区"},
     "competent_department": "忻州市忻府区发展和改革局"},
    {"name": "阳泉市郊区", "kind": "regional", "region": {"city": "阳泉市", "county": "郊区"},
     "competent_department": "阳泉市郊区发展和改革局"},
    {"name": "运城学院", "kind": "university", "region": {"city": "运城市", "county": "盐湖区"},
     "competent_department": "山西省教育厅"},
    {"name": "山西晋云众创空间管理有限公司", "kind": "enterprise",
     "region": {"city": "太原市", "county": "万柏林区"}, "competent_department": "太原市科学技术局"},
]

SECOND_BATCH_DECLARATIONS = [
    {"name": "晋城经济技术开发区", "kind": "regional",
     "region": {"city": "晋城市", "county": "晋城经济技术开发区"},
     "competent_department": "晋城经济技术开发区管理委员会"},
    {"name": "中北大学", "kind": "university", "region": {"city": "太原市", "county": "尖草坪区"},
     "competent_department": "山西省教育厅"},
    {"name": "山西农业大学", "kind": "university", "region": {"city": "晋中市", "county": "太谷县"},
     "competent_department": "山西省教育厅"},
    {"name": "朔州市朔城区", "kind": "regional", "region": {"city": "朔州市", "county": "朔城区"},
     "competent_department": "朔州市朔城区发展和改革局"},
]

# Weighted scores (out of 100) the evaluators arrive at, by occasion and base.
SELECTION_SCORES = {
    "山西转型综合改革示范区": "92.4", "山西大学": "90.6", "太原理工大学": "89.8",
    "长治高新技术产业开发区": "88.9", "启迪（太原）科技园投资发展有限公司（太原清控创新基地）": "87.5",
    "孝义市": "86.2", "高平市": "85.1", "长治市城区": "84.3", "太谷县": "83.0",
    "大同市南郊区": "81.6", "吕梁市离石区": "80.7", "交城县": "79.5",
    "忻州市忻府区": "76.2", "运城学院": "74.8", "阳泉市郊区": "72.5",
    "山西晋云众创空间管理有限公司": "69.3",
    "晋城经济技术开发区": "86.8", "中北大学": "85.4", "山西农业大学": "83.9", "朔州市朔城区": "77.1",
}
# 2018 third-party evaluation: 优秀 (>= 90) is recommended for national level, 不合格 (< 60)
# is warned; the rest are retained.
THIRD_PARTY_SCORES = {
    "山西转型综合改革示范区": "93.0", "山西大学": "91.5", "长治高新技术产业开发区": "90.8",
    "太原理工大学": "86.5", "启迪（太原）科技园投资发展有限公司（太原清控创新基地）": "84.0",
    "孝义市": "82.5", "高平市": "79.0", "长治市城区": "76.5", "太谷县": "72.0",
    "吕梁市离石区": "68.5", "大同市南郊区": "57.5", "交城县": "55.0",
}
# 2018 H2 inspection: 交城县, warned, fails again and is revoked; 大同市南郊区 rectified.
INSPECTION_SCORES = {**THIRD_PARTY_SCORES, "大同市南郊区": "74.0", "交城县": "52.0",
                     "吕梁市离石区": "71.0", "太谷县": "75.5"}
RECTIFIED = "大同市南郊区"
RECTIFICATION_NOTE = "已完成创业服务中心改造和双创政策兑现清理，经现场核查整改到位"

# Offsets per dimension whose weighted sum is zero: sheets differ by dimension and
# evaluator, and the mean is still the intended score.
DIMENSION_OFFSETS = {
    "regional": [Decimal(2), Decimal(-1), Decimal(-3), Decimal(1), Decimal(1)],
    "university": [Decimal(2), Decimal(1), Decimal(-2), Decimal("-1.5")],
    "enterprise": [Decimal(-2), Decimal(3), Decimal(2), Decimal(-2)],
}
EVALUATOR_SHIFTS = [Decimal("0.5"), Decimal("-0.5")]

# name, organisation, city, county; each base is scored by two not from its city. The
# cities are Shanxi's (设区市), as the evaluation service requires: conflicts of
# interest are judged on them.
SELECTION_PANEL = [
    ("李明远", "晋中学院", "晋中市", "榆次区"),
    ("王秀兰", "运城市社会科学院", "运城市", "盐湖区"),
    ("张卫东", "山西省社会科学院", "太原市", "小店区"),
    ("刘海燕", "山西大同大学", "大同市", "平城区"),
    ("赵志强", "山西师范大学", "临汾市", "尧都区"),
    ("周国平", "忻州师范学院", "忻州市", "忻府区"),
]
THIRD_PARTY_PANEL = [  # three cities, so that every base has two not from its own
    ("陈立新", "山西省工程咨询院", "太原市", "杏花岭区"),
    ("黄晓峰", "临汾市科技咨询中心", "临汾市", "尧都区"),
    ("孙立群", "忻州市工程咨询中心", "忻州市", "忻府区"),
]
INSPECTION_PANEL = [("张卫东", "山西省社会科学院", "太原市", "小店区"),
                    ("赵志强", "山西师范大学", "临汾市", "尧都区"),
                    ("刘海燕", "山西大同大学", "大同市", "平城区")]

MEASURES = {
    "service_oriented_government": ("推行“一枚印章管审批”，企业开办时间压缩至3个工作日，建立双创政策集中发布平台", ["market_space"]),
    "policy_measures": ("出台支持双创示范基地建设的若干措施，清理妨碍创业的规章和规范性文件", ["market_space", "ip_protection"]),
    "financing_channels": ("设立天使投资引导基金，推动科技信贷专营机构和知识产权质押融资", ["fiscal_finance"]),
    "ecosystem": ("建设众创空间—孵化器—加速器梯级孵化体系，搭建检验检测和技术交易公共平台", ["open_sharing", "technology_transfer"]),
    "culture": ("举办双创活动周和创新创业大赛，建立容错纠错机制", ["talent_mobility"]),
    "talent_cultivation": ("将创新创业教育纳入学分管理，建立校内外创业导师库，允许科研人员离岗创业", ["talent_mobility"]),
    "technology_transfer": ("完善科技成果转化收益分配，建设技术转移中心，发展专业化技术经理人队伍", ["technology_transfer", "ip_protection"]),
    "student_entrepreneurship": ("建设大学生创业园，设立学生创业基金，提供场地、辅导和融资对接", ["fiscal_finance"]),
    "support_services": ("开放大型科研仪器共享平台，建设知识产权运营和检验检测服务平台", ["open_sharing"]),
    "management_system": ("推行内部创客制和项目合伙人制，建立适合创新的扁平化管理体系", ["market_space"]),
    "employee_creativity": ("设立员工创新基金和创意工坊，对创新成果给予股权和分红激励", ["talent_mobility"]),
    "investment_financing": ("联合社会资本设立产业投资基金，为入孵企业提供投贷联动服务", ["fiscal_finance"]),
    "open_resources": ("向社会开放研发设计、检验检测和供应链资源，构建大中小企业融通创新平台", ["open_sharing"]),
}

# Provincial budget support (省级预算内资金) per first-batch base, yuan.
ENVELOPE_TOTAL = "60000000.00"
ENVELOPE_NAME = "2017年省级预算内双创示范基地建设资金"
ALLOCATIONS = {
    "山西转型综合改革示范区": "8000000.00", "长治高新技术产业开发区": "6000000.00",
    "孝义市": "5000000.00", "高平市": "5000000.00", "大同市南郊区": "4500000.00",
    "吕梁市离石区": "4500000.00", "长治市城区": "4500000.00", "太谷县": "4000000.00",
    "交城县": "4000000.00", "山西大学": "3000000.00", "太原理工大学": "3000000.00",
    "启迪（太原）科技园投资发展有限公司（太原清控创新基地）": "2000000.00",
}
SCALE = {"regional": 3, "university": 2, "enterprise": 1}  # targets and figures by kind
FIRST_TRANCHE_SHARE = Decimal("0.6")
FIRST_MILESTONE = "plan_filed"  # 建设方案备案
SECOND_MILESTONE = "evaluation_passed"  # 评估合格: the 2018 third-party round
PURPOSE = "省级双创示范基地建设补助（2017年度）"
PAYMENT_REFERENCE = "晋财建〔2017〕158号"
SECOND_PAYMENT_REFERENCE = "晋财建〔2018〕96号"
RECOVERY_PARTS = [("0.625", "交城县财政局缴款书 2018-0117"), ("0.375", "交城县财政局缴款书 2019-0009")]


def first_batch_declarations() -> list[dict]:
    """The annex's twelve, then the declarations that will not be selected."""
    return [*first_batch(), *FIRST_BATCH_OTHERS]


def with_contact(declaration: dict, batch_id: str, index: int) -> dict:
    """A declaration request: the base, its batch, the person answering for it and a
    deputy (BaseDeclared v2)."""
    code = AREA_CODES.get(declaration["region"]["city"], "0351")
    contacts = [{"name": CONTACTS[(index + offset) % len(CONTACTS)], "email": None, "role": role,
                 "phone": f"{code}-{6012100 + 37 * index + offset}"}
                for offset, role in ((0, "primary"), (1, "deputy"))]
    return {**declaration, "batch_id": batch_id, "contacts": contacts}


def county_government_name(region: dict) -> str:
    """The government that approves plans in a county-level unit (开发区: 管委会)."""
    county = region["county"]
    if county.endswith(("示范区", "开发区")):
        return f"{county}管理委员会"
    if county.endswith("区"):  # a district is named with its city: 大同市南郊区
        return f"{region['city']}{county}人民政府"
    return f"{county}人民政府"


def score_sheet(kind: str, target: str, evaluator_index: int, dimensions: list[str]) -> dict:
    """One evaluator's sheet: every dimension of the rubric, two places at most."""
    shift = EVALUATOR_SHIFTS[evaluator_index % len(EVALUATOR_SHIFTS)]
    sheet = {}
    for dimension, offset in zip(dimensions, DIMENSION_OFFSETS[kind]):
        score = min(Decimal(100), max(Decimal(0), Decimal(target) + shift + offset))
        sheet[dimension] = str(score.quantize(Decimal("0.01")))
    return sheet


def panel_for(city: str, panel: list[tuple], index: int, size: int = 2) -> list[tuple]:
    """``size`` evaluators of the panel not from ``city`` (conflict of interest),
    rotating so that the work is shared."""
    eligible = [member for member in panel if member[2] != city]
    start = index % len(eligible)
    return [eligible[(start + k) % len(eligible)] for k in range(min(size, len(eligible)))]


def construction_plan(kind: str) -> dict:
    """A plan covering the construction tasks of the base's kind, with targets."""
    tasks = [{"task": task, "measures": f"{MEASURES[task][0]}（{name}）",
              "reform_areas": MEASURES[task][1]}
             for task, name in CONSTRUCTION_TASKS[kind].items()]
    scale = SCALE[kind]
    targets = [
        {"metric": "incubated_enterprises", "value": f"{60 * scale}.00", "due": "2018-12-31"},
        {"metric": "jobs_created", "value": f"{1500 * scale}.00", "due": "2018-12-31"},
        {"metric": "financing_raised", "value": f"{30000000 * scale}.00", "due": "2019-12-31"},
        {"metric": "patents", "value": f"{40 * scale}.00", "due": "2019-12-31"},
    ]
    return {"tasks": tasks, "targets": targets}


def metrics_2018h1(name: str, kind: str, index: int) -> dict:
    """Half-year figures in proportion to the base's size and its evaluation."""
    scale = SCALE[kind]
    quality = Decimal(THIRD_PARTY_SCORES[name]) / 100

    def figure(unit: int) -> int:
        return int(unit * scale * quality) + index

    return {"incubated_enterprises": figure(32), "jobs_created": figure(760),
            "financing_raised": f"{figure(15000000)}.00", "patents": figure(21),
            "events_held": figure(9)}


def tranches(amount: str) -> list[dict]:
    """Two tranches: on filing the plan, and after the 2018 evaluation is passed."""
    total = Decimal(amount)
    first = (total * FIRST_TRANCHE_SHARE).quantize(Decimal("0.01"))
    return [{"amount": str(first), "milestone": FIRST_MILESTONE},
            {"amount": str(total - first), "milestone": SECOND_MILESTONE}]

