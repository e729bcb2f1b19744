/**
 * Every flow and global action the bot has. A feature adds its flow here, e.g.
 * `.flow(transferFlow)`; the menu shows `transfer` and `myApplications` once registered.
 */
import { DialogRegistry } from "../registry.ts";
import { registerAdminFlows } from "./admin/index.ts";
import { approveNoteAction, approveNoteFlow } from "./approveNote.ts";
import { bindFlow } from "./bind.ts";
import { registerDecisionFlows } from "./decide.ts";
import { registerHotline } from "./hotline.ts";
import {
  myApplicationsFlow,
  nudgeAction,
  withdrawAction,
  withdrawConfirmedAction,
} from "./myApplications.ts";
import { refileAction } from "./refile.ts";
import { transferFlow } from "./transfer.ts";

export function createRegistry(): DialogRegistry {
  return registerHotline(registerAdminFlows(registerDecisionFlows(new DialogRegistry())))
    .flow(bindFlow)
    .flow(transferFlow)
    .flow(myApplicationsFlow)
    .flow(approveNoteFlow)
    .action(approveNoteAction)
    .action(withdrawAction)
    .action(withdrawConfirmedAction)
    .action(nudgeAction)
    .action(refileAction);
}
