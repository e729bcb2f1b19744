/**
 * Every flow and global action the bot has. A feature adds its flow here, e.g.
 * `.flow(transferFlow)`; the menu shows `transfer` and `myApplications` once registered.
 */
import { DialogRegistry } from "../registry.ts";
import { registerAdminFlows } from "./admin/index.ts";
import { approveNoteAction, approveNoteFlow } from "./approveNote.ts";
import { bindFlow, bindWithCode } from "./bind.ts";
import { registerDecisionFlows } from "./decide.ts";
import { type ExportOptions, registerExports } from "./export.ts";
import { registerHotline } from "./hotline.ts";
import { registerImports } from "./import.ts";
import {
  myApplicationsFlow,
  nudgeAction,
  withdrawAction,
  withdrawConfirmedAction,
} from "./myApplications.ts";
import { refileAction } from "./refile.ts";
import { transferFlow } from "./transfer.ts";

/** Where the web chat is reached when nothing says (the app's own default port). */
const DEFAULT_EXPORTS: ExportOptions = { webChatUrl: "http://localhost:3000/" };

export function createRegistry(exports: ExportOptions = DEFAULT_EXPORTS): DialogRegistry {
  const registry = registerImports(registerExports(new DialogRegistry(), exports));
  return registerHotline(registerAdminFlows(registerDecisionFlows(registry)))
    .flow(bindFlow)
    .binding({ flow: bindFlow.name, redeem: bindWithCode })
    .flow(transferFlow)
    .flow(myApplicationsFlow)
    .flow(approveNoteFlow)
    .action(approveNoteAction)
    .action(withdrawAction)
    .action(withdrawConfirmedAction)
    .action(nudgeAction)
    .action(refileAction);
}
