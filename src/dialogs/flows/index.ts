/**
 * Every flow and global action the bot has. A feature adds its flow here, e.g.
 * `.flow(transferFlow)`; the menu shows `transfer` and `myApplications` once registered.
 */
import { DialogRegistry } from "../registry.ts";
import { registerAdminFlows } from "./admin/index.ts";
import { bindFlow } from "./bind.ts";
import { registerDecisionFlows } from "./decide.ts";
import { hotlineFlow } from "./hotline.ts";
import { myApplicationsFlow, withdrawAction } from "./myApplications.ts";
import { transferFlow } from "./transfer.ts";

export function createRegistry(): DialogRegistry {
  return registerAdminFlows(registerDecisionFlows(new DialogRegistry()))
    .flow(bindFlow)
    .flow(hotlineFlow)
    .flow(transferFlow)
    .flow(myApplicationsFlow)
    .action("withdraw", withdrawAction);
}
