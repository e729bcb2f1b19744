/**
 * Imports in the web chat (issue 18): a sheet uploaded to POST /api/webchat/upload becomes the
 * preview in the person's private chat, the refused rows a download link, Apply a button. The
 * session says who imports (never the form), and the route refuses what the other web chat
 * routes refuse: no session, another site, too large a body.
 */
import { eq, inArray } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { imports, members } from "../../../src/db/schema.ts";
import { createHttpApp, type Readiness } from "../../../src/http/app.ts";
import { DB_KINDS, useTestDatabase } from "../../helpers/db.ts";
import { testEngine } from "../../helpers/engine.ts";
import {
  badChecksum,
  type Cell,
  csvBuffer,
  idNumber,
  workbookBuffer,
} from "../../helpers/sheetFiles.ts";
import { sessionCookie } from "../../helpers/webchat.ts";
import { buildWorld, shanghai, type World, YEAR } from "../../helpers/world.ts";

type Wire = {
  id?: number;
  text: string;
  buttons: { label: string; action: string }[][];
  ref?: string;
  edit?: boolean;
  file?: { name: string; url: string };
  author?: { user: string; name: string };
};

const UB1 = "团山西省委/山西示范大学团委/计算机学院团总支/计算机2022级1班团支部";
const NEW = ["网页甲", "网页乙"];
const sheet = (): Buffer => {
  const rows: Cell[][] = [
    ["姓名", "身份证号", "所在团支部"],
    [NEW[0]!, idNumber("20040115", 21), UB1],
    [NEW[1]!, idNumber("20040216", 22), UB1],
    ["错校验", badChecksum(idNumber("20040418", 23)), UB1],
  ];
  return workbookBuffer(rows, "xlsx");
};

describe.each(DB_KINDS)("web chat imports on %s", (kind) => {
  const database = useTestDatabase(kind);
  const db = () => database.current.db;
  const now = shanghai(`${YEAR}-03-10T10:00:00`);
  let w: World;
  const app = () => {
    const readiness: Readiness = {
      db: kind,
      web: {
        db: db(),
        engine: testEngine(db(), "zh-CN"),
        demo: false,
        defaultLocale: "zh-CN",
        graduationYear: YEAR,
        now: () => now,
      },
    };
    return createHttpApp(readiness, "zh-CN");
  };
  const upload = (
    cookie: string,
    data: Buffer,
    name = "members.xlsx",
    headers: Record<string, string> = {},
    extra: Record<string, string> = {},
  ) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(extra)) form.set(k, v);
    form.set("file", new Blob([new Uint8Array(data)]), name);
    return app().request("/api/webchat/upload", {
      method: "POST",
      headers: { cookie, ...headers },
      body: form,
    });
  };
  const imported = async () =>
    (await db().select({ name: members.name }).from(members).where(inArray(members.name, NEW)))
      .map((m) => m.name)
      .sort();

  beforeEach(async () => {
    w = await buildWorld(db());
  });

  it("an upload becomes the preview; the form cannot name another admin; Apply imports", async () => {
    const admin = await sessionCookie(db(), { adminId: w.admin.U }, now);
    const res = await upload(
      admin.cookie,
      sheet(),
      "members.xlsx",
      {},
      {
        adminId: String(w.admin.P),
        user: "admin:1",
      },
    );
    expect(res.status).toBe(200);
    const { replies } = (await res.json()) as { replies: Wire[] };
    const preview = replies.find((r) => r.buttons.length > 0)!;
    expect(preview.text).toContain("导入预览（团员）：members.xlsx");
    expect(preview.text).toContain("第 4 行 [身份证号] 身份证号校验位不对");
    expect(preview.file?.name).toBe("拒绝行.xlsx");
    const refusedFile = await app().request(preview.file!.url, {
      headers: { cookie: admin.cookie },
    });
    expect(refusedFile.status).toBe(200);
    const [row] = await db().select().from(imports);
    expect(row?.adminId).toBe(w.admin.U);
    // The chat's log: what was uploaded, the one progress message (edited in place), the preview.
    const inbox = await app().request("/api/webchat/inbox", { headers: { cookie: admin.cookie } });
    const { messages } = (await inbox.json()) as { messages: Wire[] };
    expect(messages[0]).toMatchObject({
      text: "已上传：members.xlsx",
      author: { user: admin.user },
    });
    const progress = messages.filter((m) => m.ref?.startsWith("import:"));
    expect(progress.map((m) => [m.text, m.edit ?? false])).toEqual([
      ["正在读取“members.xlsx”……", false],
      ["已读完“members.xlsx”：共 3 行，拒绝 1 行。", true],
    ]);

    const apply = preview.buttons.flat().find((b) => b.label === "应用")!;
    const pressed = await app().request("/api/webchat/messages", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: admin.cookie },
      body: JSON.stringify({ action: apply.action }),
    });
    const answer = (await pressed.json()) as { replies: Wire[] };
    expect(answer.replies[0]?.text).toContain("已导入：新增 2");
    expect(await imported()).toEqual([...NEW].sort());
    const [applied] = await db().select().from(imports).where(eq(imports.id, row!.id));
    expect(applied?.state).toBe("applied");
  });

  it("refuses without a session, from another site, and a body over the limit", async () => {
    const admin = await sessionCookie(db(), { adminId: w.admin.U }, now);
    const none = await upload("", sheet());
    expect(none.status).toBe(401);
    const crossSite = await upload(admin.cookie, sheet(), "members.xlsx", {
      origin: "https://evil.example",
    });
    expect(crossSite.status).toBe(403);
    const fetchSite = await upload(admin.cookie, sheet(), "members.xlsx", {
      "sec-fetch-site": "cross-site",
    });
    expect(fetchSite.status).toBe(403);
    const big = await upload(admin.cookie, Buffer.alloc(21 * 1024 * 1024, 0x41), "big.csv");
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toBe("文件太大：最大 20 MB");
    const noFile = await app().request("/api/webchat/upload", {
      method: "POST",
      headers: { cookie: admin.cookie, "content-type": "application/json" },
      body: "{}",
    });
    expect(noFile.status).toBe(400);
    expect(await db().select().from(imports)).toEqual([]);

    // Over the API's 64 KB and the app's 1 MB, under the upload's own 20 MB: read.
    const padded: Cell[][] = [["姓名", "身份证号", "所在团支部", "备注"]];
    for (let i = 0; i < 20; i++)
      padded.push([`长表${i}`, idNumber("20040301", 100 + i), UB1, "x".repeat(100_000)]);
    const large = await upload(admin.cookie, csvBuffer(padded, "utf8"), "large.csv");
    expect(large.status).toBe(200);
    const { replies } = (await large.json()) as { replies: Wire[] };
    expect(replies.map((r) => r.text).join("\n")).toContain("新增 20");
  });

  it("a member's upload is refused in the chat with the way forward", async () => {
    const member = await sessionCookie(db(), { memberId: w.member.m1 }, now);
    const res = await upload(member.cookie, sheet());
    expect(res.status).toBe(200);
    const { replies } = (await res.json()) as { replies: Wire[] };
    expect(replies.map((r) => r.text)).toEqual([
      "只有团组织管理员可以导入表格。请把表格交给本组织的管理员。",
    ]);
    expect(await db().select().from(imports)).toEqual([]);
  });
});
