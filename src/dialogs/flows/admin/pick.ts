/**
 * The choosing steps every admin flow starts with: a branch of the admin's subtree found by
 * part of its name, then (where the flow acts on people) one of its members or the whole
 * branch. The lists live in the dialog state with masked ID numbers only (R4).
 */
import { maskIdNumber } from "../../../domain/idNumber.ts";
import type { MemberIdentity } from "../../../domain/member.ts";
import { branchesUnder, branchMembers } from "../../../services/adminQueries.ts";
import type { AdminContext } from "../../defineAction.ts";
import { pickerButtons, readPicker } from "../../picker.ts";
import { raw, reply, stepButton, text } from "../../replies.ts";
import type { Step, StepOutcome } from "../../steps.ts";
import type { Json } from "../../types.ts";
import { type Subject, textAnswer } from "../transfer.ts";
import { A, adminIdOf, subjectText } from "./common.ts";

/** Enough to page through; more means the name typed should be longer. */
const MAX_BRANCHES = 40;

export type PickData = {
  branchId?: number;
  branchName?: string;
  branches?: { id: number; name: string }[];
  people?: (Subject & { identity: MemberIdentity })[];
  /** The chosen member; absent when the whole branch was chosen. */
  subject?: Subject;
  wholeBranch?: boolean;
  page?: number;
};

type Then<D extends Json, K extends string> = (
  ctx: AdminContext,
  data: D,
) => StepOutcome<D, K> | Promise<StepOutcome<D, K>>;

/** The steps choosing a branch; `memberPick` follows where the flow acts on people. */
export type BranchPickStep = "branchQuery" | "branchPick";
export type PickStep = BranchPickStep | "memberPick";

interface MemberOptions<D extends Json, K extends string> {
  /** Include people marked and moved out of the branch (R10). */
  graduatingToo?: boolean;
  /** Offer "the whole branch" besides each member. */
  wholeBranch?: boolean;
  after: Then<D, K>;
}

export interface PickOptions<D extends Json, K extends string> {
  /** After the branch, unless members are chosen next. */
  afterBranch?: Then<D, K>;
  members?: MemberOptions<D, K>;
}

/**
 * Steps `branchQuery` → `branchPick` (→ `memberPick`); start the flow at `branchQuery`. `K`
 * names the flow's own steps the callbacks go on to.
 */
export function pickSteps<D extends PickData & { [key: string]: Json }, K extends string>(
  options: PickOptions<D, K> & { members: MemberOptions<D, K> },
): Record<PickStep, Step<D, K | PickStep, AdminContext>>;
export function pickSteps<D extends PickData & { [key: string]: Json }, K extends string>(
  options: PickOptions<D, K> & { members?: undefined },
): Record<BranchPickStep, Step<D, K | BranchPickStep, AdminContext>>;
export function pickSteps<D extends PickData & { [key: string]: Json }, K extends string>(
  options: PickOptions<D, K>,
): Partial<Record<PickStep, Step<D, K | PickStep, AdminContext>>> {
  const useButtons = { invalid: text("chat:nav.useButtons") } as const;
  const steps: Partial<Record<PickStep, Step<D, K | PickStep, AdminContext>>> = {
    branchQuery: {
      ask: () => reply(A("pick.askBranch")),
      text: (ctx, data, input) =>
        textAnswer<D, K | PickStep>(input, async (query) => {
          const branches = await branchesUnder(ctx.db, {
            adminId: adminIdOf(ctx),
            query,
            limit: MAX_BRANCHES,
          });
          if (branches.length === 0) return { invalid: A("pick.noBranch", { query: raw(query) }) };
          return { next: "branchPick", data: { ...data, branches, page: 0 } };
        }),
    },
    branchPick: {
      ask: (_ctx, data) =>
        reply(
          A("pick.branches", { count: data.branches?.length ?? 0 }),
          pickerButtons(
            (data.branches ?? []).map((b) => ({ label: b.name, value: b.id })),
            data.page ?? 0,
          ),
        ),
      action: async (ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return useButtons;
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        const branch = (data.branches ?? []).find((b) => b.id === picked.pick);
        if (!branch) return useButtons;
        const chosen = { ...data, branchId: branch.id, branchName: branch.name, page: 0 };
        if (!options.members) return options.afterBranch?.(ctx, chosen) ?? useButtons;
        const people = await branchMembers(ctx.db, {
          adminId: adminIdOf(ctx),
          branchId: branch.id,
          graduatingToo: options.members.graduatingToo ?? false,
        });
        if (people === null) return { invalid: text("transfer:refusal.not_permitted") };
        return {
          next: "memberPick",
          data: {
            ...chosen,
            people: people.map((p) => ({
              id: p.id,
              name: p.name,
              maskedId: maskIdNumber(p.idNumber),
              identity: p.identity,
            })),
          },
        };
      },
    },
  };
  const members = options.members;
  if (!members) return steps;
  steps.memberPick = {
    ask: (_ctx, data) => {
      const people = data.people ?? [];
      const rows = pickerButtons(
        people.map((p) => ({
          label:
            p.identity === "graduate"
              ? subjectText(p)
              : A("pick.subjectMarked", {
                  name: raw(p.name),
                  id: raw(p.maskedId),
                  mark: A(`identity.kind.${p.identity}`),
                }),
          value: p.id,
        })),
        data.page ?? 0,
      );
      if (members.wholeBranch) rows.unshift([stepButton(A("pick.wholeBranch"), "all")]);
      const question = people.length
        ? A("pick.members", { branch: raw(data.branchName ?? ""), count: people.length })
        : A("pick.noMembers", { branch: raw(data.branchName ?? "") });
      return reply(question, people.length ? rows : []);
    },
    action: (ctx, data, value) => {
      if (value === "all" && members.wholeBranch) {
        const { subject: _, ...rest } = data;
        return members.after(ctx, { ...rest, wholeBranch: true } as D);
      }
      const picked = readPicker(value);
      if (!picked) return useButtons;
      if ("page" in picked) return { stay: { ...data, page: picked.page } };
      const person = (data.people ?? []).find((p) => p.id === picked.pick);
      if (!person) return useButtons;
      const subject = { id: person.id, name: person.name, maskedId: person.maskedId };
      return members.after(ctx, { ...data, subject, wholeBranch: false });
    },
  };
  return steps;
}
