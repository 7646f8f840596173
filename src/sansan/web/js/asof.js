// 评估日期: a past day's board, for the county's review of where things stood on a given day
// (on 5 January, "where were we on 31 December"). The day travels in the address (?as_of=).
import { today } from "./api.js";
import { h } from "./dom.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

// The day asked for, if it is a past day (China date); otherwise undefined: the server's today.
export function asOf(ctx) {
  const asked = ctx.query.get("as_of") || "";
  return DAY.test(asked) && asked < today() ? asked : undefined;
}

// Choosing a day shows the page again for it, keeping the page's other filters; today, or a
// day after it, is simply today.
export function asOfPicker(ctx, page, params = {}) {
  const now = today();
  return h("label", { class: "as-of" }, "评估日期 ",
    h("input", {
      type: "date", name: "as_of", value: asOf(ctx) || now, max: now,
      min: ctx.campaign ? ctx.campaign.launch_date : null,
      onchange: (e) => {
        const day = e.target.value;
        ctx.go(page, { ...params, as_of: DAY.test(day) && day < now ? day : "" });
      },
    }));
}
