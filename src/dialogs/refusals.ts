/** A service's typed refusal as a localized text: one place for every channel and flow. */
import { isOpen } from "../domain/lifecycle.ts";
import { MIN_REASON_LENGTH } from "../domain/rejection.ts";
import type { Refusal } from "../services/result.ts";
import { formatTime } from "./format.ts";
import { raw, text } from "./replies.ts";
import type { Text } from "./types.ts";

export function refusalText(r: Refusal, timezone = "Asia/Shanghai"): Text {
  switch (r.reason) {
    case "already_decided":
      // Still open: someone moved it on to another stage, which is not an outcome yet.
      return text(
        r.state !== "approved" && isOpen(r.state)
          ? "workflow:refusal.moved_on"
          : "transfer:refusal.already_decided",
        {
          state: text(`transfer:state.${r.state}`),
          by: r.by ? text("transfer:refusal.already_decided_by", { name: raw(r.by) }) : "",
        },
      );
    case "leaves_league_by_age":
      return text("workflow:refusal.leaves_league_by_age", { limit: r.limit });
    case "reason_too_short":
      return text("workflow:refusal.reason_too_short", { min: MIN_REASON_LENGTH });
    case "reason_household":
    case "special_unit_member":
    case "already_transferred":
    case "month_before_season":
    case "destination_teacher_branch":
      return text(`workflow:refusal.${r.reason}`);
    case "unbind_not_permitted":
      return text("workflow:unbind.notPermitted", { org: raw(r.orgName) });
    case "graduate_org_not_empty":
      return text("admin:cleanup.notEmpty", { org: raw(r.orgName) });
    case "already_open":
      return text("transfer:refusal.already_open", { applicationId: r.applicationId });
    case "missing_field":
      return text("transfer:refusal.missing_field", {
        field: text(`transfer:wizard.label.${r.field}`),
      });
    case "field_too_long":
      return text("transfer:refusal.field_too_long", {
        field: text(`transfer:wizard.label.${r.field}`),
        max: r.max,
      });
    case "lookup_limit":
      return text("transfer:refusal.lookup_limit", {
        max: r.max,
        time: formatTime(r.retryAt, timezone),
      });
    case "batch_off":
      return text("batch:refusal.off", { org: raw(r.orgName) });
    case "admin_name_invalid":
      return text("admins:refusal.name", { max: r.max });
    case "phone_invalid":
      return text("admins:refusal.phone");
    case "nudged_today":
      return text("reminders:nudgedTodayAny");
    case "batch_empty":
      return text("batch:refusal.empty");
    case "text_too_long":
      return text("transfer:refusal.text_too_long", { max: r.max });
    case "retention_not_yet":
      return text("seasons:refusal.retention_not_yet", { date: r.from });
    case "target_bad_date":
      return text("seasons:refusal.target_bad_date", { year: r.year });
    case "target_not_stricter":
      return text("seasons:refusal.target_not_stricter", { percent: r.percent, due: r.due });
    case "target_bad_indicator":
    case "target_bad_percent":
    case "target_not_leading_organ":
    case "target_unknown":
    case "branch_not_mixed":
      return text(`seasons:refusal.${r.reason}`);
    default:
      return text(`transfer:refusal.${r.reason}`);
  }
}
