"""The campaign's closed vocabularies, each with the Chinese label users read.

Event fields store the plain string values, so stored history stays readable
and independent of these Python classes.
"""

from datetime import date
from enum import StrEnum


class Labelled(StrEnum):
    """A closed set of values; subclasses give each value a Chinese label."""

    @property
    def label_zh(self) -> str:
        return _LABELS[type(self)][self.value]


class OriginKind(Labelled):
    EXISTING = "existing"
    NEW = "new"
    VILLAGE_CONVERTED = "village_converted"
    NEW_RESIDENTIAL = "new_residential"


class ModelType(Labelled):
    SERVICE = "service"
    MANAGEMENT = "management"
    CULTURE = "culture"


class OrgLevel(Labelled):
    STREET_COMMITTEE = "street_committee"
    GENERAL_BRANCH = "general_branch"
    NEIGHBORHOOD_BRANCH = "neighborhood_branch"
    BUILDING_GROUP = "building_group"
    TWO_NEW = "two_new"
    RESIDENT_UNIT = "resident_unit"
    REGIONAL_JOINT = "regional_joint"


class Education(Labelled):
    PRIMARY = "primary"
    JUNIOR_HIGH = "junior_high"
    SENIOR_HIGH = "senior_high"
    TECHNICAL_SECONDARY = "technical_secondary"
    JUNIOR_COLLEGE = "junior_college"
    BACHELOR = "bachelor"
    POSTGRADUATE = "postgraduate"


# 大中专以上: the plan's education bar counts technical secondary school and above.
COLLEGE_OR_TECHNICAL = frozenset(
    {
        Education.TECHNICAL_SECONDARY,
        Education.JUNIOR_COLLEGE,
        Education.BACHELOR,
        Education.POSTGRADUATE,
    }
)


class MemberCategory(Labelled):
    DIRECT = "direct"
    DUAL = "dual"
    PARTICIPATING = "participating"


class CardKind(Labelled):
    COMMUNITY_ACTIVITY = "community_activity"
    IN_SERVICE_FEEDBACK = "in_service_feedback"
    FLOATING_MANAGEMENT = "floating_management"
    VOLUNTEER_ACTIVITY = "volunteer_activity"
    HOUSEHOLD_CONTACT = "household_contact"


# Which of the five cards fit which category (§四(一)3): the feedback card goes
# back to a dual member's work unit, the floating card is for members who only
# participate where they live; the other three are for every member.
CARDS_FOR_CATEGORY: dict[MemberCategory, frozenset[CardKind]] = {
    MemberCategory.DIRECT: frozenset(
        {CardKind.COMMUNITY_ACTIVITY, CardKind.VOLUNTEER_ACTIVITY, CardKind.HOUSEHOLD_CONTACT}
    ),
    MemberCategory.DUAL: frozenset(
        {
            CardKind.COMMUNITY_ACTIVITY,
            CardKind.IN_SERVICE_FEEDBACK,
            CardKind.VOLUNTEER_ACTIVITY,
            CardKind.HOUSEHOLD_CONTACT,
        }
    ),
    MemberCategory.PARTICIPATING: frozenset(
        {
            CardKind.COMMUNITY_ACTIVITY,
            CardKind.FLOATING_MANAGEMENT,
            CardKind.VOLUNTEER_ACTIVITY,
            CardKind.HOUSEHOLD_CONTACT,
        }
    ),
}


class TrainingMethod(Labelled):
    LECTURE = "lecture"
    VIDEO = "video"
    STUDY_TOUR = "study_tour"
    READING_CLUB = "reading_club"
    KNOWLEDGE_CONTEST = "knowledge_contest"


class CoordinationBodyKind(Labelled):
    GUIDANCE_COMMITTEE = "guidance_committee"
    COORDINATION_COMMITTEE = "coordination_committee"
    JOINT_MEETING = "joint_meeting"
    VOLUNTEER_ASSOCIATION = "volunteer_association"


class WorkingSystemKind(Labelled):
    DELIBERATION = "deliberation"
    DECISION = "decision"
    SERVICE = "service"
    ACTIVITY = "activity"


class CultureIdentityItem(Labelled):
    EMBLEM = "emblem"
    SONG = "song"
    FLAG = "flag"
    GOAL = "goal"
    SPIRIT = "spirit"
    PHILOSOPHY = "philosophy"


class CultureFacilityKind(Labelled):
    ACTIVITY_ROOM = "activity_room"
    GYM = "gym"
    LIBRARY = "library"


class TroupeKind(Labelled):
    YANGGE = "yangge"
    FITNESS = "fitness"
    CHOIR = "choir"
    BALL_TEAM = "ball_team"
    OTHER = "other"


class ServiceKind(Labelled):
    CONVENIENCE = "convenience"
    RELIEF = "relief"
    REEMPLOYMENT = "reemployment"
    SOCIAL_SECURITY = "social_security"
    ENVIRONMENT = "environment"
    PUBLIC_SECURITY = "public_security"


class CivilityRatingKind(Labelled):
    FAMILY = "family"
    BUILDING = "building"
    NEIGHBORHOOD = "neighborhood"


class InsuranceKind(Labelled):
    PENSION = "pension"
    MEDICAL = "medical"
    UNEMPLOYMENT = "unemployment"


class SiteArea(Labelled):
    """Which of a community's two sites' areas a correction changes (§四(二)3)."""

    OFFICE = "office_area_m2"
    VENUE = "venue_area_m2"


class FiveGoodsItem(Labelled):
    LEADERSHIP_TEAM = "leadership_team"
    CADRE_AND_MEMBER_TEAM = "cadre_and_member_team"
    WORKING_MECHANISM = "working_mechanism"
    WORK_RESULTS = "work_results"
    PUBLIC_RESPONSE = "public_response"


class InspectionRating(Labelled):
    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


class FeedbackRating(Labelled):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


class UnitKind(Labelled):
    STREET = "street"
    COMMUNITY = "community"
    ORGANIZATION = "organization"
    MEMBER = "member"
    PERSON = "person"


# Supervising levels by role, higher above: a review step (a supervision item's acceptance, a
# weak team's rectification) is taken by the level that started it or a higher one.
ROLE_RANK = {"county": 2, "street": 1}


class AccountabilityReason(Labelled):
    SLOW = "slow"
    INEFFECTIVE = "ineffective"


class SupervisionStatus(Labelled):
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    REPORTED = "reported"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    CLOSED = "closed"


class DevelopmentStage(Labelled):
    """发展党员的阶段（§四（一）3“加强发展党员工作”）。"""

    APPLICANT = "applicant"
    ACTIVIST = "activist"
    CANDIDATE = "candidate"
    PROBATIONARY = "probationary"
    FULL = "full"


class VolunteerOrgKind(Labelled):
    """社区志愿者组织（§四（二）2）与党员志愿者服务队（§四（一）3）。"""

    COMMUNITY_VOLUNTEERS = "community_volunteers"
    MEMBER_VOLUNTEER_TEAM = "member_volunteer_team"


class Role(Labelled):
    COUNTY = "county"
    STREET = "street"
    COMMUNITY = "community"
    AUDITOR = "auditor"
    CLIENT = "client"


_LABELS: dict[type[Labelled], dict[str, str]] = {
    Role: {
        "county": "县委组织部",
        "street": "街道党工委",
        "community": "社区党组织",
        "auditor": "审计、纪检",
        "client": "对接系统",
    },
    OriginKind: {
        "existing": "原有社区",
        "new": "新调整社区",
        "village_converted": "村改社区",
        "new_residential": "新建居民小区",
    },
    ModelType: {"service": "服务型", "management": "管理型", "culture": "文化型"},
    OrgLevel: {
        "street_committee": "街道党工委",
        "general_branch": "社区党总支",
        "neighborhood_branch": "小区党支部",
        "building_group": "楼院党小组",
        "two_new": "两新组织党组织",
        "resident_unit": "驻区单位党组织",
        "regional_joint": "区域性联合党组织",
    },
    Education: {
        "primary": "小学",
        "junior_high": "初中",
        "senior_high": "高中",
        "technical_secondary": "中专",
        "junior_college": "大专",
        "bachelor": "本科",
        "postgraduate": "研究生",
    },
    MemberCategory: {"direct": "直管", "dual": "双管", "participating": "参管"},
    CardKind: {
        "community_activity": "党员社区活动卡",
        "in_service_feedback": "在职党员社区表现反馈卡",
        "floating_management": "流动党员管理卡",
        "volunteer_activity": "社区志愿者活动卡",
        "household_contact": "党员联系户登记卡",
    },
    TrainingMethod: {
        "lecture": "课堂讲课",
        "video": "观看电教片",
        "study_tour": "考察观摩",
        "reading_club": "读书会",
        "knowledge_contest": "知识竞赛",
    },
    CoordinationBodyKind: {
        "guidance_committee": "社区党建工作指导委员会",
        "coordination_committee": "社区党建工作协调委员会",
        "joint_meeting": "社区党建工作联席会",
        "volunteer_association": "社区服务志愿者协会",
    },
    WorkingSystemKind: {
        "deliberation": "党组织议事制度",
        "decision": "党组织决策制度",
        "service": "党组织服务制度",
        "activity": "党组织活动制度",
    },
    CultureIdentityItem: {
        "emblem": "区徽",
        "song": "区歌",
        "flag": "区旗",
        "goal": "社区目标",
        "spirit": "社区精神",
        "philosophy": "社区理念",
    },
    CultureFacilityKind: {"activity_room": "居民活动室", "gym": "健身室", "library": "图书室"},
    TroupeKind: {
        "yangge": "秧歌队",
        "fitness": "体育健身队",
        "choir": "合唱团",
        "ball_team": "球队",
        "other": "其他文体组织",
    },
    ServiceKind: {
        "convenience": "便民服务",
        "relief": "救助服务",
        "reemployment": "再就业服务",
        "social_security": "社会保障服务",
        "environment": "环境美化服务",
        "public_security": "社会治安服务",
    },
    CivilityRatingKind: {"family": "文明家庭", "building": "文明楼院", "neighborhood": "文明小区"},
    DevelopmentStage: {
        "applicant": "入党申请人",
        "activist": "入党积极分子",
        "candidate": "发展对象",
        "probationary": "预备党员",
        "full": "正式党员",
    },
    VolunteerOrgKind: {
        "community_volunteers": "社区志愿者组织",
        "member_volunteer_team": "党员志愿者服务队",
    },
    InsuranceKind: {"pension": "养老保险", "medical": "医疗保险", "unemployment": "失业保险"},
    SiteArea: {"office_area_m2": "办公用房面积", "venue_area_m2": "活动场所面积"},
    FiveGoodsItem: {
        "leadership_team": "领导班子好",
        "cadre_and_member_team": "党员干部队伍好",
        "working_mechanism": "工作机制好",
        "work_results": "工作业绩好",
        "public_response": "群众反映好",
    },
    InspectionRating: {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"},
    FeedbackRating: {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"},
    UnitKind: {
        "street": "街道",
        "community": "社区",
        "organization": "党组织",
        "member": "党员",
        "person": "个人",
    },
    AccountabilityReason: {"slow": "工作迟缓", "ineffective": "措施不力"},
    SupervisionStatus: {
        "assigned": "已交办",
        "acknowledged": "已签收",
        "in_progress": "办理中",
        "reported": "已反馈",
        "accepted": "审核通过",
        "returned": "已退回",
        "closed": "已办结",
    },
}


def quoted(text: str) -> str:
    """Text in Chinese quotation marks, its own quotes turned single as Chinese nests them:
    “‘五个好’社区党组织”, not ““五个好”社区党组织”."""
    return "“" + text.replace("“", "‘").replace("”", "’") + "”"


def zh_date(day: date) -> str:
    """A day as a signing official writes it: 2027年1月5日."""
    return f"{day.year}年{day.month}月{day.day}日"
