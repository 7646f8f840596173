// Which supervision actions make sense for whom, in which status (SupervisionItem.TRANSITIONS):
// the assignee's side handles (签收, 办理, 反馈, 申请延期), the assigning side supervises.
export const OPEN = ["assigned", "acknowledged", "in_progress", "reported", "returned"];
const HANDLING = ["acknowledged", "in_progress", "returned"];

export const ACTIONS = {
  AcknowledgeSupervisionItem: { side: "handler", from: ["assigned"] },
  StartSupervisionItem: { side: "handler", from: ["acknowledged", "returned"] },
  ReportSupervisionItem: { side: "handler", from: ["in_progress", "returned"], confirm: "提交后办理结果将报送审核，确定提交吗？" },
  RequestExtension: { side: "handler", from: HANDLING, pending: false },
  ApproveExtension: { side: "supervisor", from: HANDLING, pending: true, confirm: "批准后期限将改为申请的日期，确定批准吗？" },
  RefuseExtension: { side: "supervisor", from: HANDLING, pending: true, confirm: "确定不予延期吗？" },
  AcceptSupervisionItem: { side: "supervisor", from: ["reported"], confirm: "审核通过后不能撤回，确定通过吗？" },
  ReturnSupervisionItem: { side: "supervisor", from: ["reported"], confirm: "确定将办理结果退回重办吗？" },
  CloseSupervisionItem: { side: "supervisor", from: ["accepted"], confirm: "办结后本事项即告结束，不能再办理，确定办结吗？" },
  UrgeSupervisionItem: { side: "supervisor", from: OPEN },
};

// The sides the signed-in principal is on for this item.
export function sidesOf(me, item) {
  const sides = new Set();
  const own = me.scope_org_id !== null && String(item.assignee_org_id) === String(me.scope_org_id);
  if (["community", "client"].includes(me.role) || (me.role === "street" && own)) sides.add("handler");
  if (me.role === "county" || (me.role === "street" && !own)) sides.add("supervisor");
  return sides;
}

// The catalogue's supervision commands this principal may run on the item now.
export function actionsFor(catalogue, me, item, pending) {
  const sides = sidesOf(me, item);
  return catalogue.filter((spec) => {
    const rule = ACTIONS[spec.command];
    return rule && sides.has(rule.side) && rule.from.includes(item.status)
      && (rule.pending === undefined || rule.pending === pending);
  });
}

// New items waiting for this principal's 签收.
export function unsigned(items, me) {
  return items.filter((i) => i.status === "assigned" && sidesOf(me, i).has("handler"));
}
