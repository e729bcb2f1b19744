import { describe, expect, it } from "vitest";
import {
  APPLICATION_STATES,
  type ApplicationState,
  HISTORY_ACTIONS,
} from "../../src/domain/application.ts";
import {
  approvalAt,
  DEAD_STATES,
  decide,
  FINAL_STATES,
  isDead,
  isOpen,
  type LifecycleAction,
  nextState,
  OPEN_STATES,
  WITHDRAWABLE_STATES,
} from "../../src/domain/lifecycle.ts";

const allowing = (action: LifecycleAction) =>
  APPLICATION_STATES.filter((s) => nextState(s, action) !== null);
const ACTIONS = HISTORY_ACTIONS.filter((a) => a !== "create") as LifecycleAction[];

/** Every allowed transition; anything not listed here must be refused. */
const ALLOWED: Record<string, ApplicationState> = {
  "awaiting_leader leader_approve": "pending",
  "awaiting_leader reject": "rejected",
  "awaiting_leader withdraw": "withdrawn",
  "awaiting_leader auto_return": "auto_returned",
  "awaiting_province province_approve": "completed",
  "awaiting_province reject": "rejected",
  "awaiting_province withdraw": "withdrawn",
  "awaiting_province auto_return": "auto_returned",
  "awaiting_out_org out_approve": "completed",
  "awaiting_out_org reject": "rejected",
  "awaiting_out_org withdraw": "withdrawn",
  "awaiting_out_org auto_return": "auto_returned",
  "pending approve": "completed",
  "pending reject": "rejected",
  "pending withdraw": "withdrawn",
  "pending auto_return": "auto_returned",
  "awaiting_assignment assign": "completed",
  "awaiting_assignment auto_return": "auto_returned",
};

describe("lifecycle: the whole transition table (M1.4.4, M1.5, G3)", () => {
  it("covers the eight actions and nine states (R22 added the out-organization's release)", () => {
    expect(ACTIONS).toEqual([
      "leader_approve",
      "province_approve",
      "out_approve",
      "withdraw",
      "approve",
      "assign",
      "reject",
      "auto_return",
    ]);
    expect(APPLICATION_STATES).toHaveLength(9);
  });

  for (const state of APPLICATION_STATES) {
    for (const action of ACTIONS) {
      const expected = ALLOWED[`${state} ${action}`] ?? null;
      it(`${state} + ${action} → ${expected ?? "refused (null)"}`, () => {
        expect(nextState(state, action)).toBe(expected);
      });
    }
  }
});

describe("R19 leader stage", () => {
  it("R19 the leader's approval passes the application on to the receiver (pending)", () => {
    expect(nextState("awaiting_leader", "leader_approve")).toBe("pending");
  });

  it("R19 the receiver's approve/assign and the province's approval do not apply before the leader", () => {
    expect(nextState("awaiting_leader", "approve")).toBeNull();
    expect(nextState("awaiting_leader", "assign")).toBeNull();
    expect(nextState("awaiting_leader", "province_approve")).toBeNull();
  });
});

describe("R17 province stage", () => {
  it("R17 the provincial committee's approval completes a special-unit transfer", () => {
    expect(nextState("awaiting_province", "province_approve")).toBe("completed");
    expect(
      nextState("awaiting_province", "province_approve", {
        receiverIsBranch: false,
      }),
    ).toBe("completed");
  });

  it("R17 no leader approval, receiver approval or assignment at the province stage", () => {
    expect(nextState("awaiting_province", "leader_approve")).toBeNull();
    expect(nextState("awaiting_province", "approve")).toBeNull();
    expect(nextState("awaiting_province", "assign")).toBeNull();
  });
});

describe("R22 a branch receiver completes at once, a committee must assign", () => {
  it("R22 approve by a branch receiver → completed", () => {
    expect(nextState("pending", "approve", { receiverIsBranch: true })).toBe("completed");
  });

  it("R22 approve by a committee / working committee / general branch → awaiting_assignment", () => {
    expect(nextState("pending", "approve", { receiverIsBranch: false })).toBe(
      "awaiting_assignment",
    );
  });

  it("R22 the default context is a branch receiver", () => {
    expect(nextState("pending", "approve")).toBe("completed");
  });

  it("R22 assignment completes the transfer, whatever the context says", () => {
    expect(nextState("awaiting_assignment", "assign")).toBe("completed");
    expect(nextState("awaiting_assignment", "assign", { receiverIsBranch: false })).toBe(
      "completed",
    );
  });

  it("R22 assign is only possible after the committee approved", () => {
    expect(nextState("pending", "assign")).toBeNull();
    expect(nextState("awaiting_assignment", "approve")).toBeNull();
    expect(nextState("awaiting_assignment", "approve", { receiverIsBranch: false })).toBeNull();
  });
});

describe("R22 an in-organization's start is released by the out-organization (转出审批)", () => {
  it("R22 the release completes into a branch the in-organization chose", () => {
    expect(nextState("awaiting_out_org", "out_approve", { receiverIsBranch: true })).toBe(
      "completed",
    );
  });

  it("R22 into a committee it chose, that committee still assigns a branch", () => {
    expect(nextState("awaiting_out_org", "out_approve", { receiverIsBranch: false })).toBe(
      "awaiting_assignment",
    );
  });

  it("R22 the receiver's approve does not apply at the out-organization's stage", () => {
    expect(nextState("awaiting_out_org", "approve")).toBeNull();
    expect(nextState("pending", "out_approve")).toBeNull();
  });
});

describe("R21 the initiator may withdraw only before the receiver's approval", () => {
  it("R21 withdraw from awaiting_leader, awaiting_province, awaiting_out_org and pending", () => {
    expect(nextState("awaiting_leader", "withdraw")).toBe("withdrawn");
    expect(nextState("awaiting_province", "withdraw")).toBe("withdrawn");
    expect(nextState("awaiting_out_org", "withdraw")).toBe("withdrawn");
    expect(nextState("pending", "withdraw")).toBe("withdrawn");
  });

  it("R21 no withdraw from awaiting_assignment (the receiver has approved)", () => {
    expect(nextState("awaiting_assignment", "withdraw")).toBeNull();
    expect(nextState("awaiting_assignment", "withdraw", { receiverIsBranch: false })).toBeNull();
  });

  it("R21 WITHDRAWABLE_STATES is exactly what the table allows", () => {
    expect([...WITHDRAWABLE_STATES]).toEqual([
      "awaiting_leader",
      "awaiting_province",
      "awaiting_out_org",
      "pending",
    ]);
    expect(allowing("withdraw")).toEqual([...WITHDRAWABLE_STATES]);
  });
});

describe("R23 reject returns the application to the initiator", () => {
  it("R23 reject at each decision stage before approval → rejected", () => {
    expect(nextState("awaiting_leader", "reject")).toBe("rejected");
    expect(nextState("awaiting_province", "reject")).toBe("rejected");
    expect(nextState("pending", "reject")).toBe("rejected");
  });

  it("R23 R22 a committee that approved must assign: no reject at awaiting_assignment", () => {
    expect(nextState("awaiting_assignment", "reject")).toBeNull();
  });
});

describe("R27 auto-return from every open state", () => {
  for (const state of OPEN_STATES) {
    it(`R27 ${state} + auto_return → auto_returned`, () => {
      expect(nextState(state, "auto_return")).toBe("auto_returned");
      expect(nextState(state, "auto_return", { receiverIsBranch: false })).toBe("auto_returned");
    });
  }

  it("R27 auto_return is allowed from exactly the open states", () => {
    expect(allowing("auto_return")).toEqual([
      "awaiting_leader",
      "awaiting_province",
      "awaiting_out_org",
      "pending",
      "awaiting_assignment",
    ]);
  });
});

describe("R26 final states allow nothing (a press after the outcome changes nothing)", () => {
  for (const state of FINAL_STATES) {
    it(`R26 ${state} refuses every action`, () => {
      for (const action of ACTIONS) {
        expect(nextState(state, action)).toBeNull();
        expect(nextState(state, action, { receiverIsBranch: false })).toBeNull();
      }
    });
  }

  it("R26 a second approve after completion, or after a withdrawal, is refused", () => {
    const afterApprove = nextState("pending", "approve");
    expect(afterApprove).toBe("completed");
    expect(nextState(afterApprove as ApplicationState, "approve")).toBeNull();
    const afterWithdraw = nextState("pending", "withdraw");
    expect(afterWithdraw).toBe("withdrawn");
    expect(nextState(afterWithdraw as ApplicationState, "approve")).toBeNull();
    expect(nextState(afterWithdraw as ApplicationState, "reject")).toBeNull();
  });
});

describe("state groups (§5 outcome, R27 open stages)", () => {
  it("OPEN_STATES are the five waiting stages", () => {
    expect([...OPEN_STATES]).toEqual([
      "awaiting_leader",
      "awaiting_province",
      "awaiting_out_org",
      "pending",
      "awaiting_assignment",
    ]);
  });

  it("FINAL_STATES are the four outcomes, and open + final are all states, disjoint", () => {
    expect([...FINAL_STATES]).toEqual(["completed", "rejected", "withdrawn", "auto_returned"]);
    expect([...OPEN_STATES, ...FINAL_STATES].sort()).toEqual([...APPLICATION_STATES].sort());
  });

  it("§5 DEAD_STATES (not the member's outcome) are rejected, withdrawn, auto_returned — not completed", () => {
    expect([...DEAD_STATES]).toEqual(["rejected", "withdrawn", "auto_returned"]);
    expect(isDead("completed")).toBe(false);
  });

  it("isOpen / isDead classify every state", () => {
    const open = APPLICATION_STATES.filter(isOpen);
    const dead = APPLICATION_STATES.filter(isDead);
    expect(open).toEqual([
      "awaiting_leader",
      "awaiting_province",
      "awaiting_out_org",
      "pending",
      "awaiting_assignment",
    ]);
    expect(dead).toEqual(["rejected", "withdrawn", "auto_returned"]);
  });
});

describe("decide: an admin's decision asks the table where it leads", () => {
  const branch = { receiverIsBranch: true };
  const committee = { receiverIsBranch: false };

  it("R19 approving at the leading organ's stage is its approval and passes on to the receiver", () => {
    expect(approvalAt("awaiting_leader")).toBe("leader_approve");
    expect(decide("awaiting_leader", "approve", committee)).toEqual({
      action: "leader_approve",
      to: "pending",
    });
  });

  it("R17 approving at the province's stage is its approval and completes the transfer", () => {
    expect(decide("awaiting_province", "approve", committee)).toEqual({
      action: "province_approve",
      to: "completed",
    });
  });

  it("R22 the out-organization's approval releases into a branch, or to the committee's assignment", () => {
    expect(decide("awaiting_out_org", "approve", branch)).toEqual({
      action: "out_approve",
      to: "completed",
    });
    expect(decide("awaiting_out_org", "approve", committee)).toEqual({
      action: "out_approve",
      to: "awaiting_assignment",
    });
  });

  it("R22 the receiver's approval completes at a branch, and a committee still assigns", () => {
    expect(decide("pending", "approve", branch)).toEqual({
      action: "approve",
      to: "completed",
    });
    expect(decide("pending", "approve", committee)).toEqual({
      action: "approve",
      to: "awaiting_assignment",
    });
  });

  it("R22 assigning completes, and only once the committee approved", () => {
    expect(decide("awaiting_assignment", "assign")).toEqual({
      action: "assign",
      to: "completed",
    });
    expect(decide("pending", "assign")).toBeNull();
    expect(decide("awaiting_assignment", "approve")).toBeNull();
    expect(approvalAt("awaiting_assignment")).toBeNull();
  });

  it("R23 rejecting at every stage that approves; R22 a committee that approved cannot reject", () => {
    for (const state of [
      "awaiting_leader",
      "awaiting_province",
      "awaiting_out_org",
      "pending",
    ] as const) {
      expect(decide(state, "reject")).toEqual({
        action: "reject",
        to: "rejected",
      });
    }
    expect(decide("awaiting_assignment", "reject")).toBeNull();
  });

  it("R26 a decision on a closed application is refused: the loser is told how it stands", () => {
    for (const state of FINAL_STATES) {
      for (const decision of ["approve", "assign", "reject"] as const) {
        expect(decide(state, decision, committee)).toBeNull();
      }
    }
  });

  it("the approvals are the stages someone approves at, every one a transition of the table", () => {
    const approving = APPLICATION_STATES.filter((s) => approvalAt(s) !== null);
    expect(approving).toEqual([
      "awaiting_leader",
      "awaiting_province",
      "awaiting_out_org",
      "pending",
    ]);
    for (const state of approving) {
      expect(nextState(state, approvalAt(state)!)).not.toBeNull();
    }
  });
});
