"""Domain rule violations: a stable machine code plus a Chinese and an English message.

Codes are part of the public contract (API clients switch on them); never
rename one. Messages are templates filled from keyword parameters.
"""

from dataclasses import dataclass
from typing import Any

from sansan.domain.event_labels import FIELD_LABELS_ZH


class DomainError(Exception):
    """A command broke a rule of the campaign; nothing was recorded."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, params: dict[str, Any],
        fields: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.params = params
        # the command's fields the rule is about, so an import names their columns
        self.fields = (str(params["field"]),) if "field" in params else fields

    @property
    def field(self) -> str | None:
        """The first field the rule is about (the problem's entry in ``errors``), if any."""
        return self.fields[0] if self.fields else None


class NotFoundError(DomainError):
    """The command names a unit that does not exist (or not of the expected kind)."""


class InvalidReferences(DomainError):
    """The command names units that do not exist: its own fields are wrong (422), unlike
    an unknown unit that the command is about (404). One entry per field."""

    def __init__(self, problems: list[tuple[str, DomainError]]) -> None:
        names = ", ".join(field for field, _ in problems)
        said = "、".join(_said(field) for field, _ in problems)
        super().__init__(
            "invalid_reference",
            f"请求引用了不存在的对象：{said}",
            f"the request names what does not exist: {names}",
            {"fields": names},
        )
        self.problems = problems


def _said(field: str) -> str:
    """A field as the forms label it, an entry of a list by its place: “社区”第2项, never
    community_ids.1 in a Chinese sentence."""
    name, _, index = field.partition(".")
    label = f"“{FIELD_LABELS_ZH.get(name, name)}”"
    return f"{label}第{int(index) + 1}项" if index.isdigit() else label


class DomainErrors(DomainError):
    """Several independent rules one command broke, each its own entry (its field named);
    the first one's code, and all their messages together."""

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(
            first.code, "；".join(e.message_zh for e in errors),
            "; ".join(e.message_en for e in errors), first.params,
        )  # fmt: skip
        self.errors = errors


PLAIN_DIGITS = 12  # past this, a figure typed is no measurement: said as "more than"


def plain_figure(value: float, unit_zh: str, unit_en: str) -> tuple[str, str]:
    """A figure as typed, for a refusal that quotes it (Chinese, English): plain digits, never
    an exponent (1e+308, 1e-07), nor a 300-digit expansion of an absurd one."""
    en = f" {unit_en}" if unit_en else ""
    if abs(value) >= 10**PLAIN_DIGITS:
        top = f"{10**PLAIN_DIGITS:,}"
        return f"大于{top}{unit_zh}", f"more than {top}{en}"
    shown = f"{value:,.{PLAIN_DIGITS}f}".rstrip("0").rstrip(".")
    if shown in ("0", "-0") and value != 0:
        tiny = f"0.{'0' * (PLAIN_DIGITS - 1)}1"
        return f"小于{tiny}{unit_zh}", f"less than {tiny}{en}"
    return f"{shown}{unit_zh}", f"{shown}{en}"


@dataclass(frozen=True)
class Rule:
    code: str
    zh: str
    en: str
    error_class: type[DomainError] = DomainError
    fields: tuple[str, ...] = ()  # the command's fields it is about, where they are fixed

    def __call__(self, *, at: tuple[str, ...] | None = None, **params: Any) -> DomainError:
        """The error, about ``at`` (fields) where the rule's own fields vary with the case."""
        text = {k: str(v) for k, v in params.items()}
        said = dict(text)
        for k, v in params.items():
            if isinstance(v, float):  # as typed: never 1e+308, nor 31.0 for 31
                said[k], text[k] = plain_figure(v, "", "")
        if "field" in said:  # a Chinese message names the field as the forms label it
            said["field"] = f"“{FIELD_LABELS_ZH.get(said['field'], said['field'])}”"
        return self.error_class(
            self.code, self.zh.format(**said), self.en.format(**text), params,
            self.fields if at is None else at,
        )  # fmt: skip


OCCURRED_IN_FUTURE = Rule(
    "occurred_in_future",
    "发生日期 {occurred_on} 晚于今天 {today}",
    "occurred_on {occurred_on} is later than today {today}",
    fields=("occurred_on",),
)
OCCURRED_BEFORE_START = Rule(
    "occurred_before_start",
    "发生日期 {occurred_on} 早于该单位的建立日期 {began_on}",
    "occurred_on {occurred_on} is before this unit began on {began_on}",
    fields=("occurred_on",),
)
OCCURRED_BEFORE_PARENT = Rule(
    "occurred_before_parent",
    "发生日期 {occurred_on} 早于所属{kind_zh}“{name}”的建立日期 {began_on}",
    "occurred_on {occurred_on} is before the {kind} {name} it belongs to began on {began_on}",
    fields=("occurred_on",),
)
OCCURRED_TOO_EARLY = Rule(
    "occurred_too_early",
    "发生日期 {occurred_on} 过早：不得早于 {earliest}（中华人民共和国成立之日）",
    "occurred_on {occurred_on} is too early: nothing is dated before {earliest}",
    fields=("occurred_on",),
)
NOT_POSITIVE = Rule("not_positive", "{field}必须大于零", "{field} must be greater than zero")
OUT_OF_RANGE = Rule(
    "out_of_range",
    "{field}须在 {low} 至 {high} 之间，实际为 {value}",
    "{field} must be between {low} and {high}, got {value}",
)
AREA_IMPLAUSIBLE = Rule(
    "area_implausible",
    "面积须在1至100,000平方米之间、最多两位小数，实际为{value_zh}",
    "an area must be 1 to 100,000 m² with at most two decimals, got {value}",
)
TRAINING_DAYS_OUT_OF_RANGE = Rule(
    "training_days_out_of_range",
    "培训天数须在 {low} 至 {high} 天之间，实际为 {value}",
    "training days must be between {low} and {high}, got {value}",
    fields=("days",),
)
PARTY_SCHOOL_DAYS_OUT_OF_RANGE = Rule(
    "party_school_days_out_of_range",
    "新任班子成员、新增党务工作者在县委党校培训须为 {low} 至 {high} 天，实际为 {value}",
    "new team members train {low} to {high} days at the county Party school, got {value}",
    fields=("days", "at_county_party_school"),
)
NOT_IN_VOCABULARY = Rule(
    "not_in_vocabulary",
    "{field}的取值 {value} 无效，可选：{allowed}",
    "{field} value {value} is not one of: {allowed}",
)
EMPTY_TEXT = Rule("empty_text", "{field}不能为空", "{field} must not be empty")
NOTHING_TO_RECORD = Rule(
    "nothing_to_record", "{what} 至少需要填写一项", "{what} needs at least one value"
)
UNIT_NOT_FOUND = Rule(
    "unit_not_found",
    "未找到{kind_zh}：{id}",
    "no {kind} with id {id}",
    NotFoundError,
)
VERSION_NOT_FOUND = Rule(
    "version_not_found",
    "该{kind_zh}没有第 {version} 版（当前为第 {current} 版）",
    "this {kind} has no version {version}; it is at version {current}",
    NotFoundError,
)
NOT_YET_RECORDED = Rule(
    "not_yet_recorded",
    "该时刻尚未记录此{kind_zh}（首次记录于 {first_zh}，北京时间）",
    "this {kind} was not yet recorded at that moment; it was first recorded at {first}",
    NotFoundError,
)
VERSION_WITH_AS_OF = Rule(
    "version_with_as_of",
    "版本与记录时刻只能任选其一",
    "give either version or as_of, not both",
)
UNKNOWN_PLAN = Rule(
    "unknown_plan",
    "没有编号为“{plan_id}”的创建方案（现有方案：{known}）",
    "no plan has the id {plan_id}; the plans are: {known}",
)
PLAN_INVALID = Rule(
    "plan_invalid",
    "创建方案“{plan_id}”的文件 {source} 无效，不能使用：{problems}",
    "the plan file {source} of {plan_id} is invalid and cannot be used: {problems}",
)
PLAN_UNCHANGED = Rule(
    "plan_unchanged",
    "创建工程已按该方案内容执行（方案 {plan_id}，摘要 {sha256}），无需变更",
    "the campaign already runs under this content of {plan_id} (sha256 {sha256})",
)
PLAN_ID_MISMATCH = Rule(
    "plan_id_mismatch",
    "方案编号 {plan_id} 与方案内容中的编号 {content_id} 不一致",
    "plan id {plan_id} differs from the id in the plan's content, {content_id}",
)
UNKNOWN_REFERENCE = Rule(
    "unknown_reference",
    "不存在编号为 {id} 的{kind_zh}",
    "there is no {kind} with id {id}",
)
PARENT_LEVEL_INVALID = Rule(
    "parent_level_invalid",
    "{level_zh}的上级组织必须是{expected_zh}，实际为{actual_zh}",
    "a {level} must sit under a {expected}, not under a {actual}",
    fields=("parent_id", "level"),
)
PARENT_IN_OTHER_COMMUNITY = Rule(
    "parent_in_other_community",
    "上级组织不属于同一社区",
    "the parent organization belongs to another community",
    fields=("parent_id", "community_id"),
)
GENERAL_BRANCH_EXISTS = Rule(
    "general_branch_exists",
    "该社区已有社区党总支，一个社区只能有一个党总支",
    "this community already has its general branch; a community has exactly one",
)
COMMUNITY_STREET_MISMATCH = Rule(
    "community_street_mismatch",
    "社区党总支必须隶属于本社区所在街道的党工委",
    "a community's general branch must sit under its own street committee",
    fields=("parent_id", "community_id"),
)
ORGANIZATION_OUTSIDE_COMMUNITY = Rule(
    "organization_outside_community",
    "党员须编入社区内的党组织，不能直接编入街道党工委",
    "members belong to an organization inside a community, not to a street committee",
    fields=("organization_id",),
)
NOT_A_STREET_COMMITTEE = Rule(
    "not_a_street_committee",
    "该组织不是街道党工委",
    "the organization is not a street working committee",
)
CARD_NOT_FOR_CATEGORY = Rule(
    "card_not_for_category",
    "{card_zh}不适用于{category_zh}党员",
    "the {card} card does not fit a {category} member",
    fields=("card",),
)
CARD_ALREADY_ISSUED = Rule(
    "card_already_issued",
    "已发放过{card_zh}",
    "the {card} card was already issued",
    fields=("card",),
)
CATEGORY_UNCHANGED = Rule(
    "category_unchanged",
    "党员已属于{category_zh}类别",
    "the member is already {category}",
    fields=("category",),
)
MEMBER_NAME_TAKEN = Rule(
    "member_name_taken",
    "该党组织已有名为“{name}”的党员（编号 {existing}）；同一党组织内党员姓名须可区分"
    "（导入按“所在党组织＋姓名”认人），同名的另一人请在姓名后加注区分，如“{name}（二）”",
    "the organization already has a member called {name} ({existing}); names must tell "
    "members of one organization apart (imports find a member by organization and name)",
    fields=("name",),
)
ORGANIZATION_NAME_TAKEN = Rule(
    "organization_name_taken",
    "全县已有名为“{name}”的党组织（编号 {existing}）；党组织名称须在全县唯一"
    "（导入和查找都按名称认党组织），请在名称中写明所属社区或街道加以区分",
    "an organization called {name} already exists ({existing}); organization names are "
    "unique in the county (imports and people find an organization by its name)",
    fields=("name",),
)
COMMUNITY_NAME_TAKEN = Rule(
    "community_name_taken",
    "全县已有名为“{name}”的社区（编号 {existing}）；社区名称须在全县唯一"
    "（导入和查找都按名称认社区），请在名称中写明所属街道加以区分",
    "a community called {name} already exists ({existing}); community names are unique "
    "in the county (imports and people find a community by its name)",
    fields=("name",),
)
MEMBER_TRANSFERRED_OUT = Rule(
    "member_transferred_out",
    "该党员已于 {transferred_out_on} 转出，此后的事项不能再记录（转出前发生的可以补录）",
    "the member was transferred out on {transferred_out_on}; nothing from that day on can be "
    "recorded (what happened before it still can)",
    fields=("occurred_on",),
)
FEEDBACK_ONLY_FOR_DUAL = Rule(
    "feedback_only_for_dual",
    "只有双管（在职）党员才记录在职表现反馈",
    "in-service feedback is recorded only for dual (in-service) members",
)
ALREADY_RECORDED = Rule(
    "already_recorded", "{what_zh}已记录，不能重复", "{what} is already recorded"
)
DUPLICATE_FACT = Rule(
    "duplicate_fact",
    "{what_zh}已记录（该单位第 {version} 版），同一事实不能重复记录",
    "{what} is already recorded (version {version} of this unit)",
)
NOT_RECORDED = Rule("not_recorded", "尚未记录{what_zh}", "{what} has not been recorded")
TEAM_MEMBER_UNKNOWN = Rule(
    "team_member_unknown",
    "班子中没有编号为 {team_member_id} 的成员",
    "no team member {team_member_id} on this team",
)
TEAM_MEMBER_EXISTS = Rule(
    "team_member_exists",
    "编号为 {team_member_id} 的成员已在班子中",
    "team member {team_member_id} is already on this team",
)
WEAK_TEAM_ALREADY_FLAGGED = Rule(
    "weak_team_already_flagged",
    "该班子已被列为软弱涣散，尚未整顿完成",
    "this team is already flagged as weak and not yet rectified",
)
WEAK_TEAM_NOT_FLAGGED = Rule(
    "weak_team_not_flagged",
    "该班子未被列为软弱涣散，无需整顿",
    "this team is not flagged as weak",
)
STREET_LEVEL_ONLY = Rule(
    "street_level_only",
    "只有街道党工委才能记录此事项",
    "only a street working committee can record this",
)
BIRTH_DATE_IN_FUTURE = Rule(
    "birth_date_in_future",
    "出生日期 {birth_date} 晚于今天 {today}",
    "birth_date {birth_date} is later than today {today}",
    fields=("birth_date",),
)
BIRTH_YEAR_MISMATCH = Rule(
    "birth_year_mismatch",
    "出生年份 {birth_year} 与出生日期 {birth_date} 不一致",
    "birth_year {birth_year} does not match birth_date {birth_date}",
    fields=("birth_year", "birth_date"),
)
WORKER_UNKNOWN = Rule(
    "worker_unknown",
    "社区工作者名册中没有编号为 {worker_id} 的在册人员",
    "no community worker {worker_id} is on this community's roster",
)
WORKER_EXISTS = Rule(
    "worker_exists",
    "编号为 {worker_id} 的社区工作者已登记过",
    "community worker {worker_id} has already been on this roster",
)
YEAR_OUT_OF_RANGE = Rule(
    "year_out_of_range",
    "年度 {year} 与发生日期 {occurred_on} 不符",
    "year {year} does not fit occurred_on {occurred_on}",
    fields=("year", "occurred_on"),
)
YEAR_BEFORE_START = Rule(
    "year_before_start",
    "年度 {year} 早于该社区的建立日期 {began_on}",
    "year {year} is before this community began on {began_on}",
    fields=("year",),
)
COORDINATION_BODY_MISSING = Rule(
    "coordination_body_missing",
    "尚未成立{kind_zh}，不能记录其会议",
    "no {kind} has been established, so it cannot meet",
    fields=("kind",),
)
INSPECTION_UNKNOWN = Rule(
    "inspection_unknown", "没有编号为 {inspection_id} 的督查检查", "no inspection {inspection_id}"
)
INSPECTION_ALREADY_CONDUCTED = Rule(
    "inspection_already_conducted",
    "督查检查 {inspection_id} 已经实施",
    "inspection {inspection_id} was already conducted",
)
DATE_BEFORE = Rule(
    "date_before",
    "{field}（{value}）不能早于 {bound}",
    "{field} {value} must not be before {bound}",
)
DEADLINE_TOO_FAR = Rule(
    "deadline_too_far",
    "{field}（{value}）过远：督办事项的期限不得晚于交办之日（{assigned_on}）起三年，即 {latest}",
    "{field} {value} is too far off: a supervision item's deadline must be within three years "
    "of its assignment on {assigned_on}, by {latest}",
)
DEADLINE_PASSED = Rule(
    "deadline_passed",
    "{field}不能早于今天（{today_zh}），所填为{value_zh}：期限已过，交办即逾期",
    "{field} {value} is before today ({today}, China date): the item would be overdue at once",
)
EXTENSION_PASSED = Rule(
    "deadline_passed",
    "申请延期至{requested_zh}，已早于今天（{today_zh}），批准即逾期；可不予延期，由办理单位重新申请",
    "the requested deadline {requested} is before today ({today}, China date): approved, the"
    " item would be overdue at once; refuse it and let the assignee ask again",
)
STEP_BEFORE_PREVIOUS = Rule(
    "step_before_previous",
    "发生日期 {occurred_on} 早于该督办事项上一步的日期 {previous}，各步须按时间顺序记录",
    "occurred_on {occurred_on} is before the item's previous step on {previous}; "
    "steps are recorded in the order they happened",
    fields=("occurred_on",),
)
TRANSITION_NOT_ALLOWED = Rule(
    "transition_not_allowed",
    "督办事项当前为“{status_zh}”，不能{action_zh}{hint_zh}",
    "a supervision item that is {status} cannot be {action}{hint_en}",
)
EXTENSION_PENDING = Rule(
    "extension_pending",
    "已有待审批的延期申请",
    "an extension request is already pending",
)
NO_EXTENSION_PENDING = Rule(
    "no_extension_pending",
    "没有待审批的延期申请",
    "there is no pending extension request",
)
EXTENSION_NOT_LATER = Rule(
    "extension_not_later",
    "申请的期限 {requested} 必须晚于当前期限 {due_on}",
    "the requested deadline {requested} must be after the current one {due_on}",
    fields=("requested_due_on",),
)
SCORE_OUT_OF_RANGE = Rule(
    "score_out_of_range",
    "{item_zh}得分须在 0 至 100 之间，实际为 {value}",
    "the {item} score must be between 0 and 100, got {value}",
    fields=("scores",),
)
SCOPE_REQUIRED = Rule(
    "scope_required",
    "{role_zh}令牌必须指定所辖组织",
    "a {role} token needs the organization it is scoped to",
)
SCOPE_NOT_TAKEN = Rule(
    "scope_not_taken",
    "{role_zh}令牌覆盖全县，不能指定所辖组织（请去掉 --scope）",
    "a {role} token covers the whole county and takes no scope",
)
SCOPE_WRONG_LEVEL = Rule(
    "scope_wrong_level",
    "{role_zh}令牌的所辖组织须是{needed_zh}，“{name}”不是",
    "a {role} token must be scoped to {needed}; {name} is not one",
)
LABEL_NOT_PLAIN = Rule(
    "label_not_plain",
    "令牌持有人“{label}”含控制字符或不可见的格式字符（如双向文本控制符），"
    "它将作为每条记录的记录人显示，请只用可见文字",
    "the token label {label!r} holds a control or invisible format character; it becomes the"
    " actor of every event, so it must be plain visible text",
)
LABEL_TAKEN = Rule(
    "label_taken",
    "已有有效令牌（编号 {token_no}）的持有人为“{existing}”，与“{label}”读来无法区分"
    "（全角半角、大小写和空格不算区别）：记录人须能区分，请换一个持有人标签，或先吊销该令牌",
    "a live token ({token_no}) already has the label {existing}, which {label} cannot be told"
    " apart from (full- or half-width forms, case and spaces aside): actors must be told apart;"
    " choose another label or revoke that token first",
)
EXPIRY_NOT_LATER = Rule(
    "expiry_not_later",
    "令牌的失效时间 {expires_at} 必须晚于现在 {now}（北京时间）",
    "the token's expiry {expires_at} must be later than now {now} (China time)",
)
AMOUNT_IMPLAUSIBLE = Rule(
    "amount_implausible",
    "单笔经费 {amount} 元超过合理上限 {ceiling} 元，请核对金额（单位为元，不是分）",
    "one allocation of {amount} yuan is above the plausible ceiling of {ceiling} yuan:"
    " check the amount (in yuan, not fen)",
    fields=("amount_yuan",),
)
AREA_DECREASE = Rule(
    "area_decrease",
    "{field}现为 {current}㎡，办公用房和活动场所建设后不能减少为 {value}㎡；"
    "如属录入错误，请核对后再记录",
    "{field} is {current} m², and an upgrade cannot lower it to {value} m²",
)
UNIT_KIND_MISMATCH = Rule(
    "unit_kind_mismatch",
    "编号为 {id} 的不是{kind_zh}，与所选单位类别不符",
    "{id} is not a {kind}, the unit_kind given",
)
UNIT_NAME_MISMATCH = Rule(
    "unit_name_mismatch",
    "该{kind_zh}的名称是“{name}”，与所填“{given}”不符",
    "the {kind} is named {name}, not {given}",
)
NOT_A_MEMBER_OF_COMMUNITY = Rule(
    "member_not_in_organization",
    "编号为 {id} 的不是{organization}所属的党员，书记须从本单位党员中任命",
    "{id} is no member under {organization}; the secretary is one of its members",
)
UNKNOWN_PILOT = Rule(
    "unknown_reference",
    "试点社区不存在：没有编号为 {id} 的社区",
    "the pilot community does not exist: there is no community with id {id}",
)
UNIT_ID_REQUIRED = Rule(
    "unit_id_required",
    "单位类别为{kind_zh}时须选择具体单位（编号）",
    "a {kind} must be named by its id",
    fields=("unit_id",),
)
NOT_CORRECTABLE = Rule(
    "not_correctable",
    "该社区第 {version} 版不是{what_zh}记录，不能作为{what_zh}更正"
    "（请填写要更正的那条记录的版本号）",
    "version {version} of the community is no {what} to correct"
    " (name the version that recorded it)",
    fields=("corrected_version",),
)
# not_correctable as well: the same refusal for integrators, the reason told as it is
NO_SUCH_VERSION = Rule(
    "not_correctable",
    "该社区没有第{version}版（最新为第{latest}版）",
    "the community has no version {version} (its latest is {latest})",
    fields=("corrected_version",),
)
CORRECTION_OF_CORRECTION = Rule(
    "not_correctable",
    "第{version}版是更正记录，请更正原记录第{original}版",
    "version {version} is a correction: correct the original record, version {original}",
    fields=("corrected_version",),
)
CORRECTION_FIELD_NOT_RECORDED = Rule(
    "correction_field_not_recorded",
    "第 {version} 版的办公用房和活动场所建设没有记录{what_zh}，无可更正",
    "the upgrade of version {version} recorded no {what}: nothing to correct",
    fields=("corrected_field",),
)
CORRECTION_SAME_VALUE = Rule(
    "correction_same_value",
    "第 {version} 版记录的{what_zh}现为 {current}，更正后的数值与之相同，无须更正",
    "{what} of version {version} is {current} already: a correction must change it",
)
CORRECTION_BELOW_EARLIER = Rule(
    "correction_below_earlier",
    "{what_zh}在第 {earlier_version} 版办公用房和活动场所建设时已为 {earlier}㎡，"
    "第 {version} 版更正为 {value}㎡ 会使这次建设变成减少面积；"
    "如第 {earlier_version} 版有误，请先更正它",
    "{what} was {earlier} m² after the earlier upgrade of version {earlier_version}: correcting"
    " version {version} to {value} m² would make this upgrade a decrease (correct that one first)",
    fields=("area_m2",),
)
CORRECTION_ABOVE_LATER = Rule(
    "correction_above_later",
    "{what_zh}在第 {later_version} 版办公用房和活动场所建设后为 {later}㎡，第 {version} 版更正为"
    " {value}㎡ 会使那次建设变成减少面积；请先更正第 {later_version} 版",
    "{what} was {later} m² after the later upgrade of version {later_version}: correcting version"
    " {version} to {value} m² would make that upgrade a decrease (correct it first)",
    fields=("area_m2",),
)
