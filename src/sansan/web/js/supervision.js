// Which supervision actions make sense for whom, in which status (SupervisionItem.TRANSITIONS):
// the assignee's side handles (签收, 办理, 反馈, 申请延期), the assigning side supervises.
export const OPEN = ["assigned", "acknowledged", "in_progress", "reported", "returned"];
// Handling has started (an extension is asked only then); the assignee's turn (催办 presses it,
// not once it has reported and the item waits for review).
const HANDLING = ["in_progress", "returned"];
const ASSIGNEES_TURN = ["assigned", "acknowledged", ...HANDLING];
// A pending request recorded while the item was only acknowledged (before the rule) is still
// approved or refused.
const PENDING_IN = ["acknowledged", ...HANDLING];

export const ACTIONS = {
  AcknowledgeSupervisionItem: { side: "handler", from: ["assigned"] },
  StartSupervisionItem: { side: "handler", from: ["acknowledged", "returned"] },
  ReportSupervisionItem: { side: "handler", from: ["in_progress", "returned"], confirm: "提交后办理结果将报送审核，确定提交吗？" },
  RequestExtension: { side: "handler", from: HANDLING, pending: false },
  ApproveExtension: { side: "supervisor", review: true, from: PENDING_IN, pending: true, confirm: "批准后期限将改为申请的日期，确定批准吗？" },
  RefuseExtension: { side: "supervisor", review: true, from: PENDING_IN, pending: true, confirm: "确定不予延期吗？" },
  AcceptSupervisionItem: { side: "supervisor", review: true, from: ["reported"], confirm: "审核通过后不能撤回，确定通过吗？" },
  ReturnSupervisionItem: { side: "supervisor", review: true, from: ["reported"], confirm: "确定将办理结果退回重办吗？" },
  CloseSupervisionItem: { side: "supervisor", review: true, from: ["accepted"], confirm: "办结后本事项即告结束，不能再办理，确定办结吗？" },
  UrgeSupervisionItem: { side: "supervisor", from: ASSIGNEES_TURN },
};

// The sides the signed-in principal is on for this item.
export function sidesOf(me, item) {
  const sides = new Set();
  const own = me.scope_org_id !== null && String(item.assignee_org_id) === String(me.scope_org_id);
  if (["community", "client"].includes(me.role) || (me.role === "street" && own)) sides.add("handler");
  if (me.role === "county" || (me.role === "street" && !own)) sides.add("supervisor");
  return sides;
}

// The review steps (审核, 退回, 办结, 延期审批) belong to the level that assigned the item or above
// (SupervisionItem.reviewable_by): a street does not review what the county assigned it to watch
// over. An item from before the service kept who assigned it is the county's.
const RANK = { county: 2, street: 1 };
export function mayReview(me, item) {
  return (RANK[me.role] || 0) >= RANK[item.assigned_by_role || "county"];
}

// Who reviews the item, in words: "本事项由县级交办，审核、延期审批和办结由县级负责".
export function reviewerLine(item, assignedBy) {
  const level = (item.assigned_by_role || "county") === "street" ? "街道" : "县级";
  const who = assignedBy ? `（${assignedBy}）` : "";
  return `本事项由${level}交办${who}，审核、延期审批和办结由${level}负责。`;
}

// The catalogue's supervision commands this principal may run on the item now.
export function actionsFor(catalogue, me, item, pending) {
  const sides = sidesOf(me, item);
  return catalogue.filter((spec) => {
    const rule = ACTIONS[spec.command];
    return rule && sides.has(rule.side) && rule.from.includes(item.status)
      && (rule.pending === undefined || rule.pending === pending)
      && (!rule.review || mayReview(me, item));
  });
}

// New items waiting for this principal's 签收.
export function unsigned(items, me) {
  return items.filter((i) => i.status === "assigned" && sidesOf(me, i).has("handler"));
}
