/**
 * The admin's own commands as dialog flows (issue 6): locate (R5), graduation marking (R6,
 * R8), identity marks (R9, R10), transfers started by an admin (R11), binding codes, rates, and
 * flow branches (R1).
 */

import { canCreateFlowBranch } from "../../../services/organizations.ts";
import type { DialogRegistry } from "../../registry.ts";
import { button } from "../../replies.ts";
import type { Button, DialogContext } from "../../types.ts";
import { transferInFlow, transferOutFlow } from "./adminTransfer.ts";
import { codesFlow } from "./codes.ts";
import { flowBranchFlow } from "./flowBranch.ts";
import { graduationFlow } from "./graduation.ts";
import { identityFlow } from "./identity.ts";
import { locateFlow } from "./locate.ts";
import { ratesFlow } from "./rates.ts";

/** Menu order, two to a row. */
const ADMIN_FLOWS = [
  locateFlow,
  ratesFlow,
  transferOutFlow,
  transferInFlow,
  codesFlow,
  graduationFlow,
  identityFlow,
  flowBranchFlow,
] as const;

/** Typed shortcuts (`/rates`) for the flows that need no argument to start. */
const COMMANDS = ["locate", "rates", "codes", "graduation", "identity", "flowbranch"] as const;

export function registerAdminFlows(registry: DialogRegistry): DialogRegistry {
  for (const flow of ADMIN_FLOWS) registry.flow(flow);
  for (const name of COMMANDS) {
    const flow = name === "flowbranch" ? flowBranchFlow.name : name;
    registry.command(name, () => ({ replies: [], begin: { flow } }));
  }
  return registry;
}

/** The admin's menu entries (only those registered), for `/menu`. */
export async function adminMenuRows(ctx: DialogContext): Promise<Button[][]> {
  const { adminId } = ctx.identity;
  if (adminId === null) return [];
  // R1: offered only where the admin's organization may create one.
  const offered = (await canCreateFlowBranch(ctx.db, { adminId }))
    ? ADMIN_FLOWS
    : ADMIN_FLOWS.filter((f) => f !== flowBranchFlow);
  const entries = offered
    .filter((f) => ctx.hasFlow(f.name))
    .map((f) => button(`admin:menu.${f.name}`, { type: "flow", flow: f.name }));
  // The queue comes first: deciding is what admins do most.
  const rows: Button[][] = [[button("card:menuPending", { type: "command", command: "pending" })]];
  for (let i = 0; i < entries.length; i += 2) rows.push(entries.slice(i, i + 2));
  return rows;
}
