/**
 * Decisions on applications (R17, R19, R21–R26): approve (at whatever stage is waiting),
 * assign, reject, withdraw. Each use case loads what it needs (`load.ts`), asks the lifecycle
 * table where the decision leads (`domain/lifecycle.ts`), and writes through the one transition
 * writer (`transition.ts`), whose conditional update lets exactly one racing decision win (R26).
 */
export { approve, MAX_COMMENT } from "./approve.ts";
export { assign } from "./assign.ts";
export { alreadyDecided, loadApplication, loadDecision } from "./load.ts";
export { stageOf } from "./notices.ts";
export { reject } from "./reject.ts";
export type { Decided, DecisionOptions } from "./transition.ts";
export { canWithdrawNow, withdraw } from "./withdraw.ts";
