/**
 * R11: transfers started by an admin, with the member wizard's own questions.
 * - Out-organization: a member of a branch in the admin's subtree, then the whole wizard.
 * - In-organization (M1.4.3): the member found by name + ID number, further study only, into
 *   the admin's own organization or a branch below it.
 */
import { maskIdNumber, parseIdNumber } from "../../../domain/idNumber.ts";
import { idNumberOf } from "../../../services/adminQueries.ts";
import { findMemberByNameAndIdNumber } from "../../../services/memberLookups.ts";
import { loadAdmin } from "../../../services/orgStore.ts";
import type { AdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { raw, reply, stepButton, text } from "../../replies.ts";
import { stepFlow } from "../../steps.ts";
import type { Json } from "../../types.ts";
import {
  filingRefusal,
  type TransferData,
  type TransferStep,
  textAnswer,
  transferSteps,
} from "../transfer.ts";
import { A, adminIdOf, subjectText } from "./common.ts";
import { type BranchPickStep, type PickData, type PickStep, pickSteps } from "./pick.ts";
import { privateOnly } from "./privateOnly.ts";

/** The wizard's "you" questions, asked about the member instead. */
const ADMIN_WORDING = {
  "wizard.askAddress": "admin:transfer.askAddress",
  "wizard.placementRetain": "admin:transfer.placementRetain",
  "wizard.askUnder16": "admin:transfer.askUnder16",
  "wizard.submitted": "admin:transfer.submitted",
} as const;

type AdminTransferData = TransferData & PickData & { memberName?: string };
type OutStep = PickStep | TransferStep;
type InStep = "inName" | "inIdNumber" | "inDestination" | BranchPickStep | TransferStep;

export const transferOutFlow = stepFlow<AdminTransferData, Json, OutStep>({
  name: "transferOut",
  requires: "admin",
  first: "branchQuery",
  initial: () => ({}),
  steps: {
    ...pickSteps<AdminTransferData, OutStep>({
      members: {
        // One who may not be transferred now is refused before any question about them.
        after: async (ctx, data) => {
          const why = data.subject ? await filingRefusal(ctx, data.subject.id, "out_admin") : null;
          return why ? { invalid: why } : { next: "external", data };
        },
      },
    }),
    ...transferSteps<AdminTransferData, never, AdminContext>({
      initiator: "out_admin",
      wording: ADMIN_WORDING,
      subjectLine: subjectText,
      filer: (ctx, data) =>
        data.subject
          ? {
              actor: { kind: "admin", adminId: adminIdOf(ctx) },
              as: "out_admin",
              memberId: data.subject.id,
            }
          : null,
    }),
  },
});

export const transferInFlow = privateOnly(
  stepFlow<AdminTransferData, Json, InStep>({
    name: "transferIn",
    requires: "admin",
    first: "inName",
    initial: () => ({}),
    steps: {
      inName: {
        ask: () => reply(A("transferIn.askName")),
        text: (_ctx, data, input) =>
          textAnswer(input, (memberName) => ({
            next: "inIdNumber",
            data: { ...data, memberName },
          })),
      },
      inIdNumber: {
        ask: (_ctx, data) =>
          reply(A("transferIn.askIdNumber", { name: raw(data.memberName ?? "") })),
        text: async (ctx, data, input) => {
          const parsed = parseIdNumber(input);
          if (!parsed.ok) return { invalid: refusalText({ ok: false, reason: parsed.error }) };
          const found = await findMemberByNameAndIdNumber(ctx.db, {
            adminId: adminIdOf(ctx),
            name: data.memberName ?? "",
            idNumber: parsed.idNumber,
            purpose: "in_admin_start",
            now: ctx.now,
          });
          if (!found.ok) {
            if (found.reason !== "unknown_member")
              return { invalid: refusalText(found, ctx.season.timezone) };
            return { invalid: A("transferIn.notFound") };
          }
          const { id, name } = found.member;
          const why = await filingRefusal(ctx, id, "in_admin");
          if (why) return { invalid: why };
          const subject = { id, name, maskedId: maskIdNumber(parsed.idNumber) };
          // M1.4.3: the receiving side may only start a further-study transfer.
          return {
            next: "studyType",
            data: { ...data, subject, external: false, reason: "further_study" },
          };
        },
      },
      ...transferSteps<AdminTransferData, "inDestination", AdminContext>({
        initiator: "in_admin",
        destinationStep: "inDestination",
        wording: ADMIN_WORDING,
        subjectLine: subjectText,
        filer: async (ctx, data) => {
          const idNumber = data.subject ? await idNumberOf(ctx.db, data.subject.id) : null;
          if (!data.subject || idNumber === null) return null;
          return {
            actor: { kind: "admin", adminId: adminIdOf(ctx) },
            as: "in_admin",
            memberName: data.subject.name,
            memberIdNumber: idNumber,
          };
        },
      }),
      inDestination: {
        ask: async (ctx) => {
          const admin = await loadAdmin(ctx.db, adminIdOf(ctx));
          return reply(A("transferIn.askDestination"), [
            [stepButton(raw(admin?.org.name ?? ""), "own")],
            [stepButton(A("transferIn.chooseBranch"), "branch")],
          ]);
        },
        action: async (ctx, data, value) => {
          if (value === "branch") return { next: "branchQuery", data };
          const admin = await loadAdmin(ctx.db, adminIdOf(ctx));
          if (value !== "own" || !admin) return { invalid: text("chat:nav.useButtons") };
          return {
            next: "summary",
            data: { ...data, destinationOrgId: admin.org.id, destinationName: admin.org.name },
          };
        },
      },
      ...pickSteps<AdminTransferData, InStep>({
        afterBranch: (_ctx, data) => ({
          next: "summary",
          data: { ...data, destinationOrgId: data.branchId, destinationName: data.branchName },
        }),
      }),
    },
  }),
);
