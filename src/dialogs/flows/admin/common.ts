/** What every admin flow says and checks the same way. */
import { graduationMonthProblem, parseMonth } from "../../../domain/graduation.ts";
import { writtenReasonProblem } from "../../../domain/rejection.ts";
import { MAX_NOTE } from "../../../services/result.ts";
import type { AdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { menuButtonRow, raw, reply, text } from "../../replies.ts";
import type { StepOutcome } from "../../steps.ts";
import type { DialogContext, Json, Message, Reply, Text } from "../../types.ts";
import { type Subject, textAnswer } from "../transfer.ts";

export const A = (key: string, params?: Text["params"]) => text(`admin:${key}`, params);

/** The admin of this dialog (`requires: "admin"` types a flow's context as an admin's). */
export const adminIdOf = (ctx: AdminContext) => ctx.identity.adminId;

/** The flow's last word, with the way back to the menu. */
export const ended = (message: Message): { done: Reply[] } => ({
  done: [reply(message, [menuButtonRow()])],
});

/** A member as admins see them: name and masked ID number (R4). */
export const subjectText = (s: Subject) =>
  A("pick.subject", { name: raw(s.name), id: raw(s.maskedId) });

/**
 * A typed month ("2028-06", "2028年6月"; R6, R9) normalized to "YYYY-MM", refused at once when it
 * is malformed or before the season, with the services' own words (they check again).
 */
export function monthAnswer<D extends Json, K extends string>(
  ctx: DialogContext,
  input: string,
  onValid: (month: string) => StepOutcome<D, K> | Promise<StepOutcome<D, K>>,
): StepOutcome<D, K> | Promise<StepOutcome<D, K>> {
  const month = parseMonth(input);
  const problem = month === null ? "invalid_month" : graduationMonthProblem(month, ctx.season.year);
  if (problem || month === null) {
    return { invalid: refusalText({ ok: false, reason: problem ?? "invalid_month" }) };
  }
  return onValid(month);
}

/** A written reason (R8, R9): more than a character, at most `MAX_NOTE` (the service checks too). */
export function reasonAnswer<D extends Json, K extends string>(
  input: string,
  onValid: (reason: string) => StepOutcome<D, K> | Promise<StepOutcome<D, K>>,
): StepOutcome<D, K> | Promise<StepOutcome<D, K>> {
  const problem = writtenReasonProblem(input);
  if (problem) return { invalid: refusalText({ ok: false, reason: problem }) };
  return textAnswer(input, onValid, MAX_NOTE);
}
