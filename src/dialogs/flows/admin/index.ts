/**
 * The admin's own commands as dialog flows (issue 6): locate (R5), graduation marking (R6,
 * R8), identity marks (R9, R10), transfers started by an admin (R11), binding codes, rates, and
 * flow branches (R1).
 */

import { canCreateFlowBranch } from "../../../services/organizations.ts";
import { isAdminContext } from "../../defineAction.ts";
import type { DialogRegistry } from "../../registry.ts";
import { button } from "../../replies.ts";
import type { Button, DialogContext } from "../../types.ts";
import { adminAddFlow, adminPhoneFlow, adminRemoveFlow, adminsCommand } from "./admins.ts";
import { transferInFlow, transferOutFlow } from "./adminTransfer.ts";
import { batchCommand, batchFlow, openBatchAction } from "./batch.ts";
import { cleanupCommand, cleanupMenuButton, deleteGraduateOrgAction } from "./cleanup.ts";
import { codesFlow } from "./codes.ts";
import { digestCommand } from "./digestNow.ts";
import { flowBranchFlow } from "./flowBranch.ts";
import { graduationFlow } from "./graduation.ts";
import { identityFlow } from "./identity.ts";
import { locateFlow } from "./locate.ts";
import { lostContactFlow } from "./lostContact.ts";
import { mixedFlow } from "./mixed.ts";
import { ratesFlow } from "./rates.ts";
import { targetsCommand } from "./targets.ts";

/** Menu order, two to a row. */
const ADMIN_FLOWS = [
  locateFlow,
  ratesFlow,
  transferOutFlow,
  transferInFlow,
  codesFlow,
  graduationFlow,
  identityFlow,
  mixedFlow,
  lostContactFlow,
  flowBranchFlow,
] as const;

/** Typed shortcuts (`/rates`) for the flows that need no argument to start. */
const COMMANDS = [
  "locate",
  "rates",
  "codes",
  "graduation",
  "identity",
  "mixed",
  "lost",
  "flowbranch",
] as const;

export function registerAdminFlows(registry: DialogRegistry): DialogRegistry {
  for (const flow of ADMIN_FLOWS) registry.flow(flow);
  for (const name of COMMANDS) {
    const flow = name === "flowbranch" ? flowBranchFlow.name : name;
    registry.command(name, () => ({ replies: [], begin: { flow } }));
  }
  registry.command("targets", targetsCommand);
  // Issue 20: batch approval opens through its command or button, which say first why not.
  registry.flow(batchFlow).command("batch", batchCommand).action(openBatchAction);
  registry.command("digest", digestCommand);
  registry.command("cleanup", cleanupCommand).action(deleteGraduateOrgAction);
  registry.flow(adminAddFlow).flow(adminPhoneFlow).flow(adminRemoveFlow);
  registry.command("admins", adminsCommand);
  return registry;
}

/** The admin's menu entries (only those registered), for `/menu`. */
export async function adminMenuRows(ctx: DialogContext): Promise<Button[][]> {
  if (!isAdminContext(ctx)) return [];
  const { adminId } = ctx.identity;
  // R1: offered only where the admin's organization may create one.
  const offered = (await canCreateFlowBranch(ctx.db, { adminId }))
    ? ADMIN_FLOWS
    : ADMIN_FLOWS.filter((f) => f !== flowBranchFlow);
  // Imports and exports (issue 18) register apart: the export flow is made with the web
  // chat's address.
  const names = [...offered.map((f) => f.name), "import", "export"];
  const entries = names
    .filter((name) => ctx.hasFlow(name))
    .map((name) => button(`admin:menu.${name}`, { type: "flow", flow: name }));
  // The queue comes first: deciding is what admins do most.
  const rows: Button[][] = [[button("card:menuPending", { type: "command", command: "pending" })]];
  for (let i = 0; i < entries.length; i += 2) rows.push(entries.slice(i, i + 2));
  // R3: offered while an emptied graduate organization waits to be deleted.
  const cleanup = await cleanupMenuButton(ctx);
  if (cleanup) rows.push([cleanup]);
  return rows;
}
