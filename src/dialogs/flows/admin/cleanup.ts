/**
 * R3 (G4.4 note 3): graduate organizations whose members have all transferred are offered for
 * deletion to the admins above them — in the menu while there are any, and by `/cleanup`. A
 * deletion is confirmed first; 智慧团建 is the system of record, so the admin is reminded to
 * delete it there too.
 */
import { z } from "zod";
import { deleteGraduateOrg, graduateOrgsToDelete } from "../../../services/organizations.ts";
import { type AdminContext, defineAction, isAdminContext } from "../../defineAction.ts";
import { refusalText } from "../../refusals.ts";
import { button, menuButtonRow, raw, reply, text } from "../../replies.ts";
import type { Button, CommandHandler, GlobalActionResult } from "../../types.ts";
import { A } from "./common.ts";

/** Buttons listed at once; the rest follow as these are deleted. */
const LISTED = 10;

const cleanupButton = (): Button =>
  button("admin:cleanup.back", { type: "command", command: "cleanup" });

async function offerList(ctx: AdminContext, before: GlobalActionResult["replies"] = []) {
  const offered = await graduateOrgsToDelete(ctx.db, { adminId: ctx.identity.adminId });
  if (!offered.ok) return { replies: [reply(refusalText(offered))] };
  if (offered.orgs.length === 0) {
    return { replies: [...before, reply(A("cleanup.none"), [menuButtonRow()])] };
  }
  const rows = offered.orgs
    .slice(0, LISTED)
    .map((org) => [deleteGraduateOrgAction.button(raw(org.name), { id: org.id })]);
  const more = offered.orgs.length - LISTED;
  return {
    replies: [
      ...before,
      reply(
        more > 0
          ? A("cleanup.listMore", { count: offered.orgs.length, more })
          : A("cleanup.list", { count: offered.orgs.length }),
        [...rows, menuButtonRow()],
      ),
    ],
  };
}

export const deleteGraduateOrgAction = defineAction(
  "deleteGraduateOrg",
  z.object({ id: z.number().int(), confirmed: z.literal(true).optional() }),
  { requires: "admin" },
  async (ctx, args): Promise<GlobalActionResult> => {
    if (!args.confirmed) {
      const offered = await graduateOrgsToDelete(ctx.db, { adminId: ctx.identity.adminId });
      const org = offered.ok ? offered.orgs.find((o) => o.id === args.id) : undefined;
      if (!org) return offerList(ctx, [reply(A("cleanup.gone"))]);
      return {
        replies: [
          reply(A("cleanup.confirm", { org: raw(org.name) }), [
            [
              deleteGraduateOrgAction.button(A("cleanup.yes"), { id: org.id, confirmed: true }),
              cleanupButton(),
            ],
          ]),
        ],
      };
    }
    const deleted = await deleteGraduateOrg(ctx.db, {
      adminId: ctx.identity.adminId,
      orgId: args.id,
      now: ctx.now,
    });
    if (!deleted.ok) return offerList(ctx, [reply(refusalText(deleted))]);
    return offerList(ctx, [reply(A("cleanup.deleted", { org: raw(deleted.name) }))]);
  },
);

export const cleanupCommand: CommandHandler = (ctx) =>
  isAdminContext(ctx) ? offerList(ctx) : { replies: [reply(text("chat:errors.only.admin"))] };

/** The menu's entry while something is offered (R3 "offered"), with how many. */
export async function cleanupMenuButton(ctx: AdminContext): Promise<Button | null> {
  const offered = await graduateOrgsToDelete(ctx.db, { adminId: ctx.identity.adminId });
  if (!offered.ok || offered.orgs.length === 0) return null;
  return button(A("menu.cleanup", { count: offered.orgs.length }), {
    type: "command",
    command: "cleanup",
  });
}
