/** A small organization tree with hotlines, people, and helpers to talk to an engine. */
import { expect } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { createOrganization } from "../../src/db/orgTree.ts";
import { admins, chatIdentities, members } from "../../src/db/schema.ts";
import { sealIdNumber } from "../../src/db/sealing.ts";
import type { DialogEngine } from "../../src/dialogs/engine.ts";
import type { RenderedReply } from "../../src/dialogs/types.ts";

export async function smallTree(db: Db) {
  return db.transaction(async (tx) => {
    const province = await createOrganization(tx, {
      parentId: null,
      name: "团山西省委",
      kind: "committee",
      level: "provincial",
      hotline: "0351-12355",
    });
    const city = await createOrganization(tx, {
      parentId: province.id,
      name: "团运城市委",
      kind: "committee",
      level: "city",
    });
    const county = await createOrganization(tx, {
      parentId: city.id,
      name: "团运城市夏县委",
      kind: "committee",
      level: "county",
      hotline: "17634017430",
    });
    const school = await createOrganization(tx, {
      parentId: county.id,
      name: "夏县中学团委",
      kind: "committee",
      domain: "school",
    });
    const branch = await createOrganization(tx, {
      parentId: school.id,
      name: "高三(1)班团支部",
      kind: "branch",
      domain: "school",
    });
    const otherBranch = await createOrganization(tx, {
      parentId: province.id,
      name: "省直团支部",
      kind: "branch",
    });
    const [member] = await tx
      .insert(members)
      .values({
        name: "王小明",
        ...sealIdNumber("11010519491231002X"),
        branchId: branch.id,
      })
      .returning();
    const [outsider] = await tx
      .insert(members)
      .values({
        name: "李四",
        ...sealIdNumber("110105200001010011"),
        branchId: otherBranch.id,
      })
      .returning();
    const [provinceAdmin, countyAdmin, schoolAdmin] = await tx
      .insert(admins)
      .values([
        { orgId: province.id, name: "省管理员" },
        { orgId: county.id, name: "县管理员" },
        { orgId: school.id, name: "校管理员" },
      ])
      .returning();
    return {
      province,
      city,
      county,
      school,
      branch,
      otherBranch,
      member: member!,
      outsider: outsider!,
      provinceAdmin: provinceAdmin!,
      countyAdmin: countyAdmin!,
      schoolAdmin: schoolAdmin!,
    };
  });
}

export async function bindAs(
  db: Db,
  userId: string,
  who: { memberId?: number; adminId?: number },
  locale = "en",
) {
  await db
    .insert(chatIdentities)
    .values({ channel: "test", externalUserId: userId, locale, ...who });
}

/** A conversation of one user in one chat, on the `test` channel. */
export function chat(engine: () => DialogEngine, userId: string, chatId = userId) {
  let now = new Date("2026-07-01T02:00:00Z");
  let last: RenderedReply[] = [];
  const send = async (
    input: { type: "text"; text: string } | { type: "action"; token: string },
    updateKey?: string,
  ) => {
    const out = await engine().handle({
      channel: "test",
      chatId,
      userId,
      isGroup: chatId !== userId,
      now,
      input,
      ...(updateKey ? { updateKey } : {}),
    });
    if (!out.duplicate) last = out.replies;
    return out;
  };
  return {
    say: async (text: string, updateKey?: string) =>
      (await send({ type: "text", text }, updateKey)).replies,
    pressToken: async (token: string) => (await send({ type: "action", token })).replies,
    /** Presses the button with this label in the latest replies. */
    press: async (label: string) =>
      (await send({ type: "action", token: tokenOf(last, label) })).replies,
    send,
    get last() {
      return last;
    },
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

export function tokenOf(replies: RenderedReply[], label: string): string {
  const b = replies.flatMap((r) => r.buttons.flat()).find((x) => x.label === label);
  expect(b, `button "${label}" in ${JSON.stringify(replies)}`).toBeDefined();
  return b!.action;
}

export const texts = (replies: RenderedReply[]) => replies.map((r) => r.text).join("\n---\n");
export const labels = (replies: RenderedReply[]) =>
  replies.flatMap((r) => r.buttons.flat().map((b) => b.label));
