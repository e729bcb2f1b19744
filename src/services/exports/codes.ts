/**
 * Binding codes of a branch's members as a printable sheet, so a branch secretary can hand
 * them out after an import: each member's name, masked ID number (R4), a fresh code, the web
 * chat link that logs them in with it and that link as a QR code, and when it expires. The
 * codes are issued by `issueBranchCodes` (stored only as HMACs: this sheet is the one place
 * they exist in the clear), which also ends each member's older live code.
 */
import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { members } from "../../db/schema.ts";
import { openIdNumber } from "../../db/sealing.ts";
import { maskIdNumber } from "../../domain/idNumber.ts";
import { type IssueRefusal, issueBranchCodes, normalizeCode } from "../bindings.ts";
import type { ExportContext } from "./types.ts";

/** Loaded for the printable sheet only. */
const qrcode = async () => (await import("qrcode")).default;

export interface CodeRow {
  name: string;
  maskedId: string;
  code: string;
  link: string;
  qr: Uint8Array;
  expiresAt: Date;
}

/** The web chat's login link: the page redeems `?code=` itself (src/channels/web/public). */
export function loginLink(webChatUrl: string, code: string): string {
  const url = new URL(webChatUrl);
  url.searchParams.set("code", normalizeCode(code));
  return url.toString();
}

export async function issueCodeRows(
  db: Db,
  input: { adminId: number; branchId: number; now: Date; webChatUrl: string },
): Promise<{ ok: true; rows: CodeRow[] } | { ok: false; reason: IssueRefusal }> {
  const issued = await issueBranchCodes(db, input);
  if (!issued.ok) return issued;
  const ids = issued.codes.map((c) => c.memberId);
  const sealed = ids.length
    ? await db
        .select({ id: members.id, sealed: members.idSealed })
        .from(members)
        .where(inArray(members.id, ids))
    : [];
  const idOf = new Map(sealed.map((m) => [m.id, m.sealed]));
  const rows: CodeRow[] = [];
  for (const c of issued.codes) {
    const link = loginLink(input.webChatUrl, c.code);
    rows.push({
      name: c.name,
      maskedId: maskIdNumber(openIdNumber(idOf.get(c.memberId) ?? null)),
      code: c.code,
      link,
      qr: await (await qrcode()).toBuffer(link, { type: "png", width: 120, margin: 1 }),
      expiresAt: issued.expiresAt,
    });
  }
  return { ok: true, rows };
}

export function codesSheet(ctx: ExportContext, branchName: string) {
  const h = (key: string) => ctx.t(`export:columns.${key}`);
  return {
    name: ctx.t("export:kind.codes"),
    title: ctx.t("export:codes.title", { branch: branchName }),
    timeZone: ctx.season.timezone,
    printable: true,
    columns: [
      { header: h("name"), kind: "text" as const, value: (r: CodeRow) => r.name },
      { header: h("idNumber"), kind: "text" as const, value: (r: CodeRow) => r.maskedId },
      { header: h("code"), kind: "text" as const, value: (r: CodeRow) => r.code },
      { header: h("link"), kind: "text" as const, value: (r: CodeRow) => r.link },
      { header: h("qr"), kind: "image" as const, value: (r: CodeRow) => r.qr },
      { header: h("expiresAt"), kind: "datetime" as const, value: (r: CodeRow) => r.expiresAt },
    ],
  };
}
