/**
 * Issue 20.6: an approval with a short note from the approver (at most `MAX_COMMENT`
 * characters), kept in the history (R25) and shown to the member with the news. Offered in an
 * application's details, beside the plain Approve of its card; the service checks everything
 * again when the note arrives.
 */
import { z } from "zod";
import { decisionRight } from "../../services/decisionRights.ts";
import { approve, MAX_COMMENT } from "../../services/decisions/index.ts";
import { defineAction } from "../defineAction.ts";
import { refusalText } from "../refusals.ts";
import { reply, text } from "../replies.ts";
import { stepFlow } from "../steps.ts";
import type { Button, GlobalActionResult, Text } from "../types.ts";
import { assignBranchAction } from "./decide.ts";

const N = (key: string, params?: Text["params"]) => text(`comments:${key}`, params);

const noteArgs = z.object({ id: z.number().int() });

/** Opens the note, for an application the admin may approve now (checked again on approval). */
export const approveNoteAction = defineAction(
  "approveNote",
  noteArgs,
  { requires: "admin" },
  async (ctx, { id }): Promise<GlobalActionResult> => {
    const right = await decisionRight(ctx.db, { adminId: ctx.identity.adminId, applicationId: id });
    if (!right.ok) return { replies: [reply(refusalText(right))] };
    return { replies: [], begin: { flow: "approveNote", args: { id } } };
  },
);

/** The button of the details view, for an application its viewer may approve now. */
export const approveNoteButton = (id: number): Button =>
  approveNoteAction.button(N("button"), { id });

export const approveNoteFlow = stepFlow<{ id: number }, { id: number }>({
  name: "approveNote",
  requires: "admin",
  first: "note",
  args: noteArgs,
  fromArgs: (_ctx, args) => ({ id: args.id }),
  steps: {
    note: {
      ask: (_ctx, data) => ({
        ...reply(N("ask", { id: data.id, max: MAX_COMMENT })),
        expectsReply: true,
      }),
      text: async (ctx, data, input) => {
        if (!input.trim()) return { invalid: N("empty") };
        const result = await approve(
          ctx.db,
          { adminId: ctx.identity.adminId, applicationId: data.id },
          ctx.now,
          { note: input },
        );
        if (!result.ok) {
          if (result.reason === "text_too_long") return { invalid: refusalText(result) };
          return { done: [reply(refusalText(result))] };
        }
        if (result.needsAssignment) {
          // R22: the committee that approved assigns next; the card keeps the way there too.
          return {
            done: [
              reply(N("approvedAssign", { id: data.id }), [
                [assignBranchAction.button(text("card:assignBranch"), { id: data.id })],
              ]),
            ],
          };
        }
        return { done: [reply(N("approved", { id: data.id }))] };
      },
    },
  },
});
