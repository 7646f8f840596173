// 登录: a bearer token, kept for this browser tab only.
import { ApiError, get, session } from "../api.js";
import { h, notice } from "../dom.js";

// Why a token was refused, in the API's words where they say more than "invalid" (expired, and when).
export function refusal(error) {
  if (!(error instanceof ApiError) || error.status !== 401) return `登录失败：${error.message}`;
  return error.problem && error.problem.code === "token_expired" ? error.message : "令牌无效或已吊销，请核对后重试。";
}

export function render(root, onSignedIn, reason = null) {
  const message = h("div", { class: "message", "data-refusal": "" }, reason ? notice(reason, "error") : null);
  const form = h("form", {
    class: "signin card", "aria-label": "登录",
    onsubmit: async (e) => {
      e.preventDefault();
      session.signIn(new FormData(e.target).get("token").trim());
      try {
        onSignedIn(await get("/api/v1/me"));
      } catch (error) {
        session.signOut();
        message.replaceChildren(notice(refusal(error), "error"));
      }
    },
  },
  h("h1", { text: "三三创建工程督导平台" }),
  h("p", { text: "请输入管理员签发的访问令牌。令牌只保存在本浏览器标签页中，关闭即失效。" }),
  h("label", {}, "访问令牌", h("input", { name: "token", type: "password", required: true, autocomplete: "off", placeholder: "ssn_…" })),
  h("button", { type: "submit" }, "登录"),
  message,
  h("p", { class: "meta", "data-hint": "", text: `演示：运行 sansan serve --demo 后，在运行它的机器上打开 ${location.origin}/ 即以县委组织部身份进入。` }));
  root.append(form);
}
