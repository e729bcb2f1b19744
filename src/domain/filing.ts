/**
 * Who may file a transfer at all, whatever its content: the rules about the member that the
 * wizard asks before its first question and the service asks again when filing (R28, R31, and
 * one open application at a time).
 */
import type { ApplicationState, InitiatorKind } from "./application.ts";
import { ageOn } from "./idNumber.ts";
import { isOpen } from "./lifecycle.ts";
import type { MemberIdentity } from "./member.ts";
import type { OrgNode } from "./tree.ts";

/** R31 (团章): at 28 a member leaves the league instead of transferring. */
export const LEAGUE_AGE_LIMIT = 28;

/** The last calendar day ("YYYY-MM-DD") of a month "YYYY-MM". */
function lastDayOf(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const day = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${month}-${String(day).padStart(2, "0")}`;
}

/**
 * R31 (interpretation): "28 or older in the graduation month" means 28 on the month's last
 * day, so a birthday within the month counts. Without a graduation month, `today` decides.
 * Teachers are no graduates (R9): the rule is not theirs.
 */
export function leavesLeagueByAge(person: {
  identity: MemberIdentity;
  birthDate: string;
  graduationMonth: string | null;
  today: string;
}): boolean {
  if (person.identity === "teacher") return false;
  const on = person.graduationMonth ? lastDayOf(person.graduationMonth) : person.today;
  return ageOn(person.birthDate, on) >= LEAGUE_AGE_LIMIT;
}

/** What a member's earlier applications say about filing another. */
export interface EarlierApplication {
  id: number;
  state: ApplicationState;
  retainAtSchool: boolean;
}

export type FilingObstacle =
  | { reason: "already_open"; applicationId: number }
  | { reason: "leaves_league_by_age"; limit: number }
  | { reason: "special_unit_member" }
  | { reason: "already_transferred" };

/**
 * Whether this member may have a transfer filed now, and by whom (R11):
 * - one open application at a time;
 * - R31: a member 28 or older in the graduation month leaves the league instead;
 * - R28: after a completed transfer only a follow-up from the member's current organization is
 *   possible, by the member or that organization's admin; an in-organization cannot "receive"
 *   someone already transferred (a retention at school, R15, is not a transfer). Members of
 *   the special-unit library are the province's (R17): nothing is filed for them here.
 */
export function filingObstacle(input: {
  earlier: readonly EarlierApplication[];
  initiator: InitiatorKind;
  currentBranch: Pick<OrgNode, "category">;
  identity: MemberIdentity;
  birthDate: string;
  graduationMonth: string | null;
  today: string;
}): FilingObstacle | null {
  const open = input.earlier.find((a) => isOpen(a.state));
  if (open) return { reason: "already_open", applicationId: open.id };
  if (leavesLeagueByAge(input)) {
    return { reason: "leaves_league_by_age", limit: LEAGUE_AGE_LIMIT };
  }
  if (input.currentBranch.category === "special_unit_library") {
    return { reason: "special_unit_member" };
  }
  const transferred = input.earlier.some((a) => a.state === "completed" && !a.retainAtSchool);
  if (transferred && input.initiator === "in_admin") return { reason: "already_transferred" };
  return null;
}
