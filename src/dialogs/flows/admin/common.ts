/** What every admin flow says and checks the same way. */
import { isValidMonth } from "../../../domain/graduation.ts";
import { refusalText } from "../../refusals.ts";
import { menuButtonRow, raw, reply, text } from "../../replies.ts";
import type { StepOutcome } from "../../steps.ts";
import type { DialogContext, Json, Message, Reply, Text } from "../../types.ts";
import type { Subject } from "../transfer.ts";

export const A = (key: string, params?: Text["params"]) => text(`admin:${key}`, params);

/** The admin of this dialog; admin flows are only started for admins (`requires`). */
export const adminIdOf = (ctx: DialogContext) => ctx.identity.adminId ?? 0;

/** The flow's last word, with the way back to the menu. */
export const ended = (message: Message): { done: Reply[] } => ({
  done: [reply(message, [menuButtonRow()])],
});

/** A member as admins see them: name and masked ID number (R4). */
export const subjectText = (s: Subject) =>
  A("pick.subject", { name: raw(s.name), id: raw(s.maskedId) });

/** A typed "YYYY-MM" (R6, R9), or the services' own words for a malformed one. */
export function monthAnswer<D extends Json>(
  input: string,
  onValid: (month: string) => StepOutcome<D> | Promise<StepOutcome<D>>,
): StepOutcome<D> | Promise<StepOutcome<D>> {
  const month = input.trim();
  if (!isValidMonth(month)) return { invalid: refusalText({ ok: false, reason: "invalid_month" }) };
  return onValid(month);
}
