/**
 * Files in the web chat (exports): a reply's document is kept, sealed, for the session that
 * asked, and the chat shows a download link instead of the bytes. The link works for that
 * session only — not for another device of the same person, not after logout or the
 * session's end — so a link copied out of the log or the browser history opens nothing.
 */
import { randomBytes } from "node:crypto";
import { and, eq, gt } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { webchatFiles, webchatSessions } from "../../db/schema.ts";
import { open, seal } from "../../db/sealing.ts";
import type { RenderedReply } from "../../dialogs/types.ts";

/** A download as the web chat's API shows it. */
export interface WebFile {
  name: string;
  url: string;
}

export type WebReply = Omit<RenderedReply, "document"> & { file?: WebFile };

export const FILE_ROUTE = "/api/webchat/files/";
const FILE_ID = /^[A-Za-z0-9_-]{22}$/;

/** Stores each reply's document for the session and puts its link in its place. */
export async function keepFiles(
  tx: Db,
  sessionHash: string | null,
  replies: RenderedReply[],
  now: Date,
): Promise<WebReply[]> {
  const out: WebReply[] = [];
  for (const { document, ...reply } of replies) {
    if (!document) {
      out.push(reply);
      continue;
    }
    const [session] = sessionHash
      ? await tx
          .select({ expiresAt: webchatSessions.expiresAt })
          .from(webchatSessions)
          .where(eq(webchatSessions.tokenHash, sessionHash))
      : [];
    if (!session || !sessionHash) {
      out.push(reply);
      continue;
    }
    const id = randomBytes(16).toString("base64url");
    await tx.insert(webchatFiles).values({
      id,
      sessionHash,
      name: document.name,
      mime: document.mime,
      sealed: seal(document.base64, "export-file"),
      createdAt: now,
      expiresAt: session.expiresAt,
    });
    out.push({ ...reply, file: { name: document.name, url: `${FILE_ROUTE}${id}` } });
  }
  return out;
}

/** The file behind a link, for the session that made it while it lasts; else null. */
export async function fileFor(
  db: Db,
  id: string,
  sessionHash: string | null,
  now: Date,
): Promise<{ name: string; mime: string; data: Buffer } | null> {
  if (!sessionHash || !FILE_ID.test(id)) return null;
  const [row] = await db
    .select()
    .from(webchatFiles)
    .where(
      and(
        eq(webchatFiles.id, id),
        eq(webchatFiles.sessionHash, sessionHash),
        gt(webchatFiles.expiresAt, now),
      ),
    );
  if (!row) return null;
  return {
    name: row.name,
    mime: row.mime,
    data: Buffer.from(open(row.sealed, "export-file"), "base64"),
  };
}

/** `attachment` with the name in UTF-8 (RFC 6266) and an ASCII fallback. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
