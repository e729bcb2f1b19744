/** A service's typed refusal as a localized text: one place for every channel and flow. */
import type { Refusal } from "../services/result.ts";
import { formatTime } from "./format.ts";
import { raw, text } from "./replies.ts";
import type { Text } from "./types.ts";

export function refusalText(r: Refusal, timezone = "Asia/Shanghai"): Text {
  switch (r.reason) {
    case "already_decided":
      return text("transfer:refusal.already_decided", {
        state: text(`transfer:state.${r.state}`),
        by: r.by ? text("transfer:refusal.already_decided_by", { name: raw(r.by) }) : "",
      });
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
    case "text_too_long":
      return text("transfer:refusal.text_too_long", { max: r.max });
    default:
      return text(`transfer:refusal.${r.reason}`);
  }
}
