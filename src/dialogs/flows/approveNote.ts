/**
 * Issue 20.6: an approval with a short note from the approver (at most `MAX_COMMENT`
 * characters), kept in the history (R25) and shown to the member with the news. Offered in an
 * application's details, beside the plain Approve of its card; the service checks everything
 * again when the note arrives.
 */
import { decisionRight } from "../../services/decisionRights.ts";
import { approve, MAX_COMMENT } from "../../services/decisions.ts";
import { refusalText } from "../refusals.ts";
import { globalButton, reply, text } from "../replies.ts";
import { stepFlow } from "../steps.ts";
import type { Button, GlobalAction, Json, Text } from "../types.ts";

const N = (key: string, params?: Text["params"]) => text(`comments:${key}`, params);

function idOf(args: Json | undefined): number | null {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return null;
  return typeof args.id === "number" ? args.id : null;
}

/** The button of the details view, for an application its viewer may approve now. */
export const approveNoteButton = (id: number): Button =>
  globalButton(N("button"), "approveNote", { id });

export const approveNoteAction: GlobalAction = async (ctx, args) => {
  const id = idOf(args);
  if (id === null || ctx.identity.adminId === null) {
    return { replies: [{ ...reply(text("chat:stale")), popup: text("chat:stalePopup") }] };
  }
  const right = await decisionRight(ctx.db, { adminId: ctx.identity.adminId, applicationId: id });
  if (!right.ok) return { replies: [reply(refusalText(right))] };
  return { replies: [], begin: { flow: "approveNote", args: { id } } };
};

export const approveNoteFlow = stepFlow<{ id: number }, { id: number }>({
  name: "approveNote",
  requires: "admin",
  first: "note",
  initial: (_ctx, args) => ({ id: args?.id ?? -1 }),
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
          { adminId: ctx.identity.adminId ?? -1, applicationId: data.id },
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
                [globalButton(text("card:assignBranch"), "assignBranch", { id: data.id })],
              ]),
            ],
          };
        }
        return { done: [reply(N("approved", { id: data.id }))] };
      },
    },
  },
});
