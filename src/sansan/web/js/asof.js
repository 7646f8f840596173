// 评估日期: a past day's board, for the county's review of where things stood on a given day
// (on 5 January, "where were we on 31 December"). The day travels in the address (?as_of=).
import { today } from "./api.js";
import { h } from "./dom.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

// A day with a board of its own: from the campaign's launch to yesterday (China date); the
// service refuses a day before the launch or after today (422 on as_of).
function past(ctx, day, now) {
  const launch = ctx.campaign ? ctx.campaign.launch_date : "";
  return DAY.test(day) && day >= launch && day < now;
}

// The day asked for, if it is such a day; otherwise undefined: the server's today (an address
// carrying a day before the launch, or one to come, shows today's board).
export function asOf(ctx) {
  const asked = ctx.query.get("as_of") || "";
  return past(ctx, asked, today()) ? asked : undefined;
}

// Choosing a day shows the page again for it, keeping the page's other filters; today, a day
// after it or one before the launch (typed past the field's min and max) is simply today.
export function asOfPicker(ctx, page, params = {}) {
  const now = today();
  return h("label", { class: "as-of" }, "评估日期 ",
    h("input", {
      type: "date", name: "as_of", value: asOf(ctx) || now, max: now,
      min: ctx.campaign ? ctx.campaign.launch_date : null,
      onchange: (e) => {
        const day = e.target.value;
        ctx.go(page, { ...params, as_of: past(ctx, day, now) ? day : "" });
      },
    }));
}
