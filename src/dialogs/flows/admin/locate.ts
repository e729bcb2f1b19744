/**
 * R5 (Q2.5): name, then ID number → where the member is and how to reach that organization's
 * admins; nothing else. The ID number is never kept in the dialog state nor echoed in full.
 */
import { maskIdNumber, parseIdNumber } from "../../../domain/idNumber.ts";
import { locateMember } from "../../../services/organizations.ts";
import { refusalText } from "../../refusals.ts";
import { raw, reply } from "../../replies.ts";
import { stepFlow } from "../../steps.ts";
import type { Json } from "../../types.ts";
import { textAnswer } from "../transfer.ts";
import { A, adminIdOf, ended } from "./common.ts";
import { privateOnly } from "./privateOnly.ts";

export const locateFlow = privateOnly(
  stepFlow<{ name?: string }, Json, "name" | "idNumber">({
    name: "locate",
    requires: "admin",
    first: "name",
    initial: () => ({}),
    steps: {
      name: {
        ask: () => reply(A("locate.askName")),
        text: (_ctx, data, input) =>
          textAnswer(input, (name) => ({ next: "idNumber", data: { ...data, name } })),
      },
      idNumber: {
        ask: (_ctx, data) => reply(A("locate.askIdNumber", { name: raw(data.name ?? "") })),
        text: async (ctx, data, input) => {
          const parsed = parseIdNumber(input);
          if (!parsed.ok) return { invalid: refusalText({ ok: false, reason: parsed.error }) };
          const found = await locateMember(ctx.db, {
            adminId: adminIdOf(ctx),
            name: data.name ?? "",
            idNumber: parsed.idNumber,
            now: ctx.now,
          });
          const who = { name: raw(data.name ?? ""), id: raw(maskIdNumber(parsed.idNumber)) };
          if (!found.ok) {
            const why =
              found.reason === "unknown_member"
                ? A("locate.notFound", who)
                : refusalText(found, ctx.season.timezone);
            return ended(why);
          }
          const lines = [A("locate.found", { ...who, org: raw(found.orgName) })];
          if (found.admins.length === 0) lines.push(A("locate.noAdmins"));
          for (const admin of found.admins) {
            lines.push(
              A("locate.admin", {
                name: raw(admin.name),
                phone: admin.phone ? raw(admin.phone) : A("locate.noPhone"),
              }),
            );
          }
          if (found.hotline) lines.push(A("locate.hotline", { number: raw(found.hotline) }));
          return ended(lines);
        },
      },
    },
  }),
);
