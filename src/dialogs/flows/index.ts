/**
 * Every flow and global action the bot has. A feature adds its flow here, e.g.
 * `.flow(transferFlow)`; the menu shows `transfer` and `myApplications` once registered.
 */
import { DialogRegistry } from "../registry.ts";
import { registerAdminFlows } from "./admin/index.ts";
import { bindFlow, bindWithCode } from "./bind.ts";
import { registerDecisionFlows } from "./decide.ts";
import { registerHotline } from "./hotline.ts";
import { myApplicationsFlow, withdrawAction, withdrawConfirmedAction } from "./myApplications.ts";
import { transferFlow } from "./transfer.ts";

export function createRegistry(): DialogRegistry {
  return registerHotline(registerAdminFlows(registerDecisionFlows(new DialogRegistry())))
    .flow(bindFlow)
    .binding({ flow: bindFlow.name, redeem: bindWithCode })
    .flow(transferFlow)
    .flow(myApplicationsFlow)
    .action(withdrawAction)
    .action(withdrawConfirmedAction);
}
