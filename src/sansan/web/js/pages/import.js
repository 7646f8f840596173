// 导入: a spreadsheet (XLSX or CSV) from the templates goes in whole or not at all; the report
// says every problem by sheet, row and column, and offers the file back with an 错误 column.
import { ApiError, download, session } from "../api.js";
import { h, notice, section, table } from "../dom.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async function upload(file, dryRun) {
  const form = new FormData();
  form.append("file", file);
  if (dryRun) form.append("dry_run", "true");
  const response = await fetch("/api/v1/imports", {
    method: "POST", body: form,
    headers: { Accept: "application/json", Authorization: `Bearer ${session.token()}` },
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 422 && body.report) return { rejected: true, problem: body, report: body.report };
  if (!response.ok) throw new ApiError(response.status, body);
  return { rejected: false, report: body };
}

const tr = (cells) => h("tr", {}, cells.map((c) => h("td", { text: c })));

function counts(report) {
  const rows = Object.entries(report.kinds_zh)
    .filter(([key]) => report.recorded[key] || report.skipped[key])
    .map(([key, zh]) => tr([zh, String(report.recorded[key] || 0), String(report.skipped[key] || 0)]));
  const done = report.saved ? "已记录" : "可记录";
  return rows.length ? table(["类别", `${done}（行）`, "已存在而跳过（行）"], rows, { "data-import-counts": "" }) : null;
}

function errorWorkbook(report) {
  const bytes = Uint8Array.from(atob(report.error_workbook), (c) => c.charCodeAt(0));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([bytes], { type: XLSX }));
  link.download = `${report.file_name.replace(/\.[^.]+$/, "")}-错误.xlsx`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function problems(report) {
  const rows = report.problems.map((p) => tr([
    p.sheet, p.row ? `第 ${p.row} 行` : "整表", p.column || "—", p.value || "—", p.message_zh,
  ]));
  return h("div", { "data-import-problems": String(report.problems.length) },
    table(["工作表", "行", "列", "填写的内容", "问题"], rows),
    h("button", { type: "button", onclick: () => errorWorkbook(report) }, "下载标注错误的表格"));
}

function said(outcome) {
  const { report } = outcome;
  if (outcome.rejected) {
    return [notice(`文件中有 ${report.problems.length} 处问题，未记录任何内容。请按下表改正后重新导入；也可下载标注了错误的表格，在“错误”列旁改正。`, "error"),
      counts(report), problems(report)];
  }
  const head = report.dry_run
    ? notice(`检查通过：共 ${report.rows} 行，未记录。取消“只检查”后再导入即可记录。`, "info")
    : notice(`导入完成：共 ${report.rows} 行，记录 ${report.events} 个事件；再次导入同一文件不会重复记录。`, "info");
  return [head, counts(report)];
}

export async function render(root) {
  const result = h("div", { class: "import-result", "aria-live": "polite" });
  const file = h("input", { type: "file", name: "file", accept: ".xlsx,.csv", "aria-label": "选择表格文件" });
  const dryRun = h("input", { type: "checkbox", name: "dry_run" });
  const submit = h("button", { type: "submit" }, "导入");
  const form = h("form", {
    "aria-label": "导入表格",
    onsubmit: async (event) => {
      event.preventDefault();
      if (!file.files.length) {
        result.replaceChildren(notice("请先选择要导入的 XLSX 或 CSV 文件。", "warn"));
        return;
      }
      submit.disabled = true;
      result.replaceChildren(h("p", { class: "loading", text: "正在检查并导入…" }));
      try {
        result.replaceChildren(...said(await upload(file.files[0], dryRun.checked)).filter(Boolean));
      } catch (error) {
        const message = error instanceof ApiError ? error.message : "上传失败，请稍后重试。";
        result.replaceChildren(notice(message, "error"));
      } finally {
        submit.disabled = false;
      }
    },
  },
  h("label", {}, "表格文件（XLSX 或 CSV）", file),
  h("label", { class: "check" }, dryRun, "只检查，不记录"),
  submit);
  root.append(
    h("h1", { text: "导入表格" }),
    section("导入模板",
      h("p", { text: "按模板填写：每类一个工作表，表头为中文，带 * 的列必填；单位按名称填写。“说明”表写明每类以哪些列判断是否已导入过。" }),
      h("button", { type: "button", class: "secondary", onclick: () => download("/api/v1/imports/templates/all", {}, "导入模板.xlsx") }, "下载导入模板")),
    section("上传", form, result));
}
