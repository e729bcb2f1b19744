/**
 * Binding codes for members of the admin's subtree: one member, or one code per member of a
 * whole branch, listed by name only (never with ID numbers), with how to use them.
 */
import {
  type IssueRefusal,
  issueBranchCodes,
  issueMemberCode,
  MAX_LIVE_CODES_PER_ORG,
} from "../../../services/bindings.ts";
import { formatTime } from "../../format.ts";
import { menuButtonRow, raw, reply } from "../../replies.ts";
import { stepFlow } from "../../steps.ts";
import type { DialogContext, Json, Text } from "../../types.ts";
import { A, adminIdOf, ended } from "./common.ts";
import { type PickData, type PickStep, pickSteps } from "./pick.ts";

const refused = (reason: IssueRefusal) =>
  ended(A(`codes.refused.${reason}`, { max: MAX_LIVE_CODES_PER_ORG }));

const issuedReply = (ctx: DialogContext, lines: Text[], expiresAt: Date) =>
  ended([
    ...lines,
    A("codes.expires", { at: formatTime(expiresAt, ctx.season.timezone) }),
    A("codes.howTo"),
  ]);

const codesSteps = stepFlow<PickData, Json, PickStep>({
  name: "codes",
  requires: "admin",
  first: "branchQuery",
  initial: () => ({}),
  steps: pickSteps<PickData, never>({
    members: {
      wholeBranch: true,
      after: async (ctx, data) => {
        const adminId = adminIdOf(ctx);
        if (data.subject) {
          const one = await issueMemberCode(ctx.db, {
            adminId,
            memberId: data.subject.id,
            now: ctx.now,
          });
          if (!one.ok) return refused(one.reason);
          const line = A("codes.one", { name: raw(data.subject.name), code: raw(one.code) });
          return issuedReply(ctx, [line], one.expiresAt);
        }
        const all = await issueBranchCodes(ctx.db, {
          adminId,
          branchId: data.branchId ?? 0,
          now: ctx.now,
        });
        if (!all.ok) return refused(all.reason);
        if (all.codes.length === 0) {
          return ended(A("pick.noMembers", { branch: raw(data.branchName ?? "") }));
        }
        const lines = [
          A("codes.branchTitle", {
            branch: raw(data.branchName ?? ""),
            count: all.codes.length,
          }),
          ...all.codes.map((c) => A("codes.line", { name: raw(c.name), code: raw(c.code) })),
        ];
        return issuedReply(ctx, lines, all.expiresAt);
      },
    },
  }),
});

/** A code read in a group could be redeemed by anyone there: codes are issued privately. */
export const codesFlow: typeof codesSteps = {
  ...codesSteps,
  start: (ctx, args) =>
    ctx.isGroup
      ? { state: null, replies: [reply(A("codes.privateOnly"), [menuButtonRow()])] }
      : codesSteps.start(ctx, args),
};
