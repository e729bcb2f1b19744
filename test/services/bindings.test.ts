/**
 * One-time binding codes (issue 5.2, 15.2): permissions, expiry, single use, one live code a
 * person, keyed hashes, wrong tries limited per source across chats.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  issueAdminCode,
  issueBranchCodes,
  issueMemberCode,
  redeemCode,
} from "../../src/services/bindings.ts";
import { smallTree } from "../dialogs/fixtures.ts";
import { DB_KINDS, useTestDatabase } from "../helpers/db.ts";

const NOW = new Date("2026-07-01T02:00:00Z");
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

describe.each(DB_KINDS)("binding codes on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const redeem = (code: string, now = NOW, userId = "user-1") =>
    redeemCode(db(), {
      channel: "test",
      userId,
      code,
      sources: [{ channel: "test", userId }],
      now,
    });
  const memberCode = async () => {
    const tree = await smallTree(db());
    const issued = await issueMemberCode(db(), {
      adminId: tree.schoolAdmin.id,
      memberId: tree.member.id,
      now: NOW,
    });
    if (!issued.ok) throw new Error(issued.reason);
    return { tree, code: issued.code };
  };

  it("binds an account to the member with a code, stored only as a keyed hash, used once", async () => {
    const { tree, code } = await memberCode();
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    const stored = await database.current.query<{ code_hash: string }>(
      "select code_hash from binding_codes",
    );
    const bare = code.replaceAll("-", "");
    expect(JSON.stringify(stored)).not.toContain(bare);
    // Not a bare hash: without the server's key, hashing a guess finds nothing.
    for (const form of [bare, code])
      expect(stored[0]!.code_hash).not.toContain(createHash("sha256").update(form).digest("hex"));

    expect(await redeem(bare.toLowerCase().replace(/(.{4})/, "$1 "))).toEqual({
      ok: true,
      kind: "member",
      memberId: tree.member.id,
      adminId: null,
    });
    const identities = await database.current.query<{ member_id: number }>(
      "select member_id from chat_identities where channel = 'test' and external_user_id = 'user-1'",
    );
    expect(identities).toEqual([{ member_id: tree.member.id }]);
    expect(await redeem(code, NOW, "user-2")).toEqual({ ok: false, reason: "code_used" });
  });

  it("refuses an expired code", async () => {
    const { code } = await memberCode();
    expect(await redeem(code, new Date(NOW.getTime() + 7 * 24 * 3600_000))).toEqual({
      ok: false,
      reason: "code_expired",
    });
  });

  it("limits wrong codes to 10 an hour per platform user, whatever the chat; others are not affected", async () => {
    const { code } = await memberCode();
    for (let i = 0; i < 10; i++)
      expect(await redeem("WRONG2345678")).toEqual({ ok: false, reason: "code_invalid" });
    // The next try, even with the right code, waits for the budget: one try every 6 minutes.
    expect(await redeem(code)).toEqual({ ok: false, reason: "locked", lockedUntil: minutes(6) });
    expect(await redeem("WRONG2345678", NOW, "user-2")).toEqual({
      ok: false,
      reason: "code_invalid",
    });
    expect(await redeem(code, minutes(6))).toMatchObject({ ok: true, kind: "member" });
  });

  it("counts only wrong tries: a right code costs nothing", async () => {
    const tree = await smallTree(db());
    const codes: string[] = [];
    for (const memberId of [tree.member.id, tree.outsider.id]) {
      const issued = await issueMemberCode(db(), {
        adminId: tree.provinceAdmin.id,
        memberId,
        now: NOW,
      });
      if (issued.ok) codes.push(issued.code);
    }
    for (let i = 0; i < 9; i++) await redeem("WRONG2345678");
    expect(await redeem(codes[0]!)).toMatchObject({ ok: true });
    expect(await redeem(codes[1]!)).toMatchObject({ ok: true });
    expect(await redeem("WRONG2345678")).toMatchObject({ reason: "code_invalid" });
    expect(await redeem("WRONG2345678")).toMatchObject({ reason: "locked" });
  });

  it("keeps one live code per person: a new code ends the older one", async () => {
    const tree = await smallTree(db());
    const issue = async () => {
      const issued = await issueMemberCode(db(), {
        adminId: tree.countyAdmin.id,
        memberId: tree.member.id,
        now: NOW,
      });
      if (!issued.ok) throw new Error(issued.reason);
      return issued.code;
    };
    const first = await issue();
    const second = await issue();
    expect(await redeem(first)).toEqual({ ok: false, reason: "code_expired" });
    expect(await redeem(second)).toMatchObject({ ok: true, memberId: tree.member.id });
  });

  it("lets admins issue member codes only inside their subtree", async () => {
    const tree = await smallTree(db());
    const issue = (adminId: number, memberId: number) =>
      issueMemberCode(db(), { adminId, memberId, now: NOW });
    expect(await issue(tree.countyAdmin.id, tree.member.id)).toMatchObject({ ok: true });
    expect(await issue(tree.provinceAdmin.id, tree.outsider.id)).toMatchObject({ ok: true });
    expect(await issue(tree.schoolAdmin.id, tree.outsider.id)).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(await issue(tree.schoolAdmin.id, 999_999)).toEqual({
      ok: false,
      reason: "unknown_member",
    });
    expect(await issue(999_999, tree.member.id)).toEqual({ ok: false, reason: "unknown_admin" });
  });

  it("issues one code per member of a branch in the admin's subtree", async () => {
    const tree = await smallTree(db());
    const issued = await issueBranchCodes(db(), {
      adminId: tree.schoolAdmin.id,
      branchId: tree.branch.id,
      now: NOW,
    });
    expect(issued).toMatchObject({
      ok: true,
      codes: [{ memberId: tree.member.id, name: "王小明" }],
    });
    if (!issued.ok) return;
    expect(await redeem(issued.codes[0]!.code)).toMatchObject({
      ok: true,
      memberId: tree.member.id,
    });
    expect(
      await issueBranchCodes(db(), {
        adminId: tree.schoolAdmin.id,
        branchId: tree.otherBranch.id,
        now: NOW,
      }),
    ).toEqual({ ok: false, reason: "not_permitted" });
    expect(
      await issueBranchCodes(db(), {
        adminId: tree.provinceAdmin.id,
        branchId: tree.school.id,
        now: NOW,
      }),
    ).toEqual({ ok: false, reason: "unknown_branch" });
  });

  it("issues admin codes only for admins strictly below the issuer's organization", async () => {
    const tree = await smallTree(db());
    const issue = (adminId: number, targetAdminId: number) =>
      issueAdminCode(db(), { adminId, targetAdminId, now: NOW });
    expect(await issue(tree.countyAdmin.id, tree.provinceAdmin.id)).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    expect(await issue(tree.countyAdmin.id, tree.countyAdmin.id)).toEqual({
      ok: false,
      reason: "not_permitted",
    });
    const issued = await issue(tree.countyAdmin.id, tree.schoolAdmin.id);
    if (!issued.ok) throw new Error(issued.reason);
    expect(await redeem(issued.code, NOW, "admin-user")).toEqual({
      ok: true,
      kind: "admin",
      memberId: null,
      adminId: tree.schoolAdmin.id,
    });
  });
});
