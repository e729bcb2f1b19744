/**
 * Issue 20.3: `/admins` — who administers the organization, with their phones (the ones R5
 * shows), and the hand-over: add a colleague (name, phone, then a one-time binding code, in a
 * private chat only), change one's own phone, and for a superior organization's admin remove
 * an admin below. Decisions waiting and bound chats belong to the organization and stay.
 */
import {
  addColleague,
  adminNameProblem,
  MAX_ADMIN_NAME,
  orgsWithAdminsBelow,
  phoneProblem,
  removeAdmin,
  rosterOf,
  setOwnPhone,
} from "../../../services/adminRoster.ts";
import { loadAdmin } from "../../../services/orgStore.ts";
import { formatTime } from "../../format.ts";
import { pickerButtons, readPicker } from "../../picker.ts";
import { refusalText } from "../../refusals.ts";
import { button, menuButtonRow, raw, reply, stepButton, text } from "../../replies.ts";
import { stepFlow } from "../../steps.ts";
import type { Button, CommandHandler, Json, Text } from "../../types.ts";
import { adminIdOf, ended } from "./common.ts";

const H = (key: string, params?: Text["params"]) => text(`admins:${key}`, params);

const refusedName = (problem: "admin_name_invalid" | "phone_invalid") =>
  refusalText({ ok: false, reason: problem, max: MAX_ADMIN_NAME });

/** `/admins`: the roster of the admin's organization and what they can change. */
export const adminsCommand: CommandHandler = async (ctx) => {
  const admin =
    ctx.identity.adminId === null ? null : await loadAdmin(ctx.db, ctx.identity.adminId);
  if (!admin) return { replies: [reply(text("chat:errors.only.admin"))] };
  const roster = await rosterOf(ctx.db, admin.org.id);
  const lines: Text[] = [
    H("title", { org: raw(admin.org.name), count: roster.length }),
    ...roster.map((a) =>
      H(a.adminId === admin.adminId ? "lineSelf" : "line", {
        name: raw(a.name),
        phone: a.phone ? raw(a.phone) : H("noPhone"),
      }),
    ),
  ];
  const rows: Button[][] = [
    [
      button(H("add"), { type: "flow", flow: "adminAdd" }),
      button(H("phone"), { type: "flow", flow: "adminPhone" }),
    ],
  ];
  if (admin.org.kind !== "branch") {
    rows.push([button(H("remove"), { type: "flow", flow: "adminRemove" })]);
  }
  return { replies: [reply(lines, rows)] };
};

type AddData = { name?: string };

const addSteps = stepFlow<AddData, Json, "name" | "phone">({
  name: "adminAdd",
  requires: "admin",
  first: "name",
  initial: () => ({}),
  steps: {
    name: {
      ask: () => reply(H("askName", { max: MAX_ADMIN_NAME })),
      text: (_ctx, data, input) => {
        const problem = adminNameProblem(input);
        if (problem) return { invalid: refusedName(problem) };
        return { next: "phone", data: { ...data, name: input.trim() } };
      },
    },
    phone: {
      ask: (_ctx, data) => reply(H("askPhone", { name: raw(data.name ?? "") })),
      text: async (ctx, data, input) => {
        const problem = phoneProblem(input);
        if (problem) return { invalid: refusedName(problem) };
        const added = await addColleague(ctx.db, {
          adminId: adminIdOf(ctx),
          name: data.name ?? "",
          phone: input,
          now: ctx.now,
        });
        if (!added.ok) return ended(refusalText(added));
        return ended([
          H("added", { name: raw(data.name ?? ""), code: raw(added.code) }),
          H("expires", { at: formatTime(added.expiresAt, ctx.season.timezone) }),
        ]);
      },
    },
  },
});

/** A code read in a group could be redeemed by anyone there: colleagues are added privately. */
export const adminAddFlow: typeof addSteps = {
  ...addSteps,
  start: (ctx, args) =>
    ctx.isGroup
      ? { state: null, replies: [reply(H("privateOnly"), [menuButtonRow()])] }
      : addSteps.start(ctx, args),
};

export const adminPhoneFlow = stepFlow<Record<string, never>, Json, "phone">({
  name: "adminPhone",
  requires: "admin",
  first: "phone",
  initial: () => ({}),
  steps: {
    phone: {
      ask: () => reply(H("askOwnPhone")),
      text: async (ctx, _data, input) => {
        const result = await setOwnPhone(ctx.db, { adminId: adminIdOf(ctx), phone: input });
        if (!result.ok) {
          return result.reason === "phone_invalid"
            ? { invalid: refusalText(result) }
            : ended(refusalText(result));
        }
        return ended(H("phoneSet", { phone: raw(result.phone) }));
      },
    },
  },
});

type RemoveData = {
  orgs?: { id: number; name: string }[];
  orgId?: number;
  orgName?: string;
  target?: { id: number; name: string };
  page?: number;
};

export const adminRemoveFlow = stepFlow<RemoveData, Json, "query" | "org" | "admin" | "confirm">({
  name: "adminRemove",
  requires: "admin",
  first: "query",
  initial: () => ({}),
  steps: {
    query: {
      ask: () => reply(H("askOrg")),
      text: async (ctx, data, input) => {
        const orgs = await orgsWithAdminsBelow(ctx.db, { adminId: adminIdOf(ctx), query: input });
        if (orgs.length === 0) return { invalid: H("noOrg") };
        return { next: "org", data: { ...data, orgs, page: 0 } };
      },
    },
    org: {
      ask: (_ctx, data) =>
        reply(
          H("pickOrg"),
          pickerButtons(
            (data.orgs ?? []).map((o) => ({ label: o.name, value: o.id })),
            data.page ?? 0,
          ),
        ),
      action: (_ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return { invalid: text("chat:nav.useButtons") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        const org = (data.orgs ?? []).find((o) => o.id === picked.pick);
        if (!org) return { invalid: text("chat:nav.useButtons") };
        return { next: "admin", data: { ...data, orgId: org.id, orgName: org.name } };
      },
    },
    admin: {
      ask: async (ctx, data) => {
        const roster = await rosterOf(ctx.db, data.orgId ?? -1);
        return reply(
          H("pickAdmin", { org: raw(data.orgName ?? "") }),
          roster.map((a) => [
            stepButton(
              H("line", { name: raw(a.name), phone: a.phone ? raw(a.phone) : H("noPhone") }),
              { id: a.adminId, name: a.name },
            ),
          ]),
        );
      },
      action: async (ctx, data, value) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          return { invalid: text("chat:nav.useButtons") };
        }
        const { id, name } = value as { id?: unknown; name?: unknown };
        if (typeof id !== "number" || typeof name !== "string") {
          return { invalid: text("chat:nav.useButtons") };
        }
        const roster = await rosterOf(ctx.db, data.orgId ?? -1);
        if (!roster.some((a) => a.adminId === id)) return { invalid: text("chat:nav.useButtons") };
        return { next: "confirm", data: { ...data, target: { id, name } } };
      },
    },
    confirm: {
      ask: (_ctx, data) =>
        reply(H("confirm", { name: raw(data.target?.name ?? ""), org: raw(data.orgName ?? "") }), [
          [stepButton(H("confirmButton", { name: raw(data.target?.name ?? "") }), "yes")],
        ]),
      action: async (ctx, data, value) => {
        if (value !== "yes") return { invalid: text("chat:nav.useButtons") };
        const result = await removeAdmin(ctx.db, {
          adminId: adminIdOf(ctx),
          targetAdminId: data.target?.id ?? -1,
          now: ctx.now,
        });
        if (!result.ok) return ended(refusalText(result));
        return ended(H("removed", { name: raw(result.name), org: raw(result.orgName) }));
      },
    },
  },
});
