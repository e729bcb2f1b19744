/**
 * Files coming in (issue 18): an admin sends a spreadsheet into their private chat — a Telegram
 * document, a web chat upload, a WeCom file message — and it is read as an import preview. A big
 * file takes a while to read, so this runs outside the engine's one transaction per input (the
 * preview stages its rows in batches): the update is claimed first, so a resent one does
 * nothing; one progress message is shown and edited as rows are read where the channel can edit;
 * then the preview comes with its refused rows as an .xlsx and the Apply / Cancel buttons
 * (flows/import.ts), which the engine answers like any button. Who imports is the chat
 * account's bound admin, never anything the upload says.
 */
import { RATE_DEFAULTS } from "../config.ts";
import { type Db, databaseUnavailable } from "../db/client.ts";
import type { Season } from "../domain/calendar.ts";
import { type Locale, translator } from "../i18n.ts";
import {
  demoDataPresent,
  type ImportPreview,
  type ImportProgress,
  previewImport,
} from "../services/imports/index.ts";
import { LIMITS, perMinute, spend } from "../services/rateLimits.ts";
import { SHEET_MIME } from "../services/sheets/write.ts";
import { renderWithTokens } from "./actions.ts";
import { claimUpdate } from "./claims.ts";
import {
  applyImportAction,
  cancelImportAction,
  I,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_MB,
} from "./flows/import.ts";
import { loadChatUser } from "./identity.ts";
import { importRefusalText, previewText, refusedRowsSheet } from "./importText.ts";
import { translate } from "./render.ts";
import { menuButtonRow, raw, reply, text } from "./replies.ts";
import type { Button, DialogInput, RenderedReply, Reply } from "./types.ts";

/** The kinds of file an import reads (services/sheets), by name. */
const SHEET_NAME = /\.(xlsx|xls|csv)$/i;
/** The progress message is edited at most this often (Telegram allows ~20 edits a minute). */
const PROGRESS_EVERY_MS = 3_000;

export interface IncomingFile {
  /** Its name as the message says; empty when only the download tells (WeCom's media/get). */
  name: string;
  /** The size the platform announced before the download; null when it said none. */
  size: number | null;
  download(): Promise<{ data: Buffer; name?: string | null }>;
}

/** Where the file came from, as a dialog input says it (the update key claims it once). */
export type FileInput = Omit<DialogInput, "input"> & { file: IncomingFile };

/** How a channel shows what the import says. */
export interface FileOutlet {
  /** Sends replies as new messages (remembering the platform's id of a reply with a `ref`). */
  send(replies: RenderedReply[]): Promise<void>;
  /** Replaces the earlier message of `reply.ref`; absent where the channel cannot edit. */
  edit?(reply: RenderedReply): Promise<void>;
}

export interface FileDeps {
  db: Db;
  defaultLocale: Locale;
  season: Season;
  perPersonPerMinute?: number;
  onError?: (error: unknown) => void;
  /** How often the progress message may change (tests: 0). */
  progressEveryMs?: number;
}

export async function receiveImportFile(
  deps: FileDeps,
  input: FileInput,
  outlet: FileOutlet,
): Promise<void> {
  const { db } = deps;
  const { channel, chatId, userId, now, file } = input;
  const budget = perMinute(deps.perPersonPerMinute ?? RATE_DEFAULTS.perPersonPerMinute);
  const start = await db.transaction(async (tx) => {
    if (input.updateKey !== undefined && !(await claimUpdate(tx, channel, input.updateKey, now)))
      return null;
    const user = await loadChatUser(tx, channel, userId);
    const spent = await spend(tx, `chat:${channel}:${userId}`, budget, now);
    // Spent only when the chat budget was: a refused file costs no import.
    const files = spent.ok
      ? await spend(tx, `import:${channel}:${userId}`, LIMITS.importFiles, now)
      : spent;
    return { user, spent, files };
  });
  if (!start) return;
  const locale = start.user.locale ?? deps.defaultLocale;
  const t = translator(locale);
  const tr = translate(locale);
  const scope = { channel, chatId, userId, stateVersion: null };
  const render = (replies: Reply[]) => renderWithTokens(db, scope, tr, replies);
  const say = async (...replies: Reply[]) => outlet.send(await render(replies));
  const adminId = start.user.identity.adminId;

  if (!start.spent.ok)
    return say(
      reply(
        text("chat:errors.slowDown", {
          seconds: Math.ceil(start.spent.retryAfterMs / 1000),
        }),
      ),
    );
  if (!start.files.ok)
    return say(
      reply(
        I("tooMany", {
          max: LIMITS.importFiles.events,
          minutes: Math.ceil(start.files.retryAfterMs / 60_000),
        }),
      ),
    );
  if (input.isGroup) return say(reply(I("privateOnly")));
  if (adminId === null)
    return say(reply(I(start.user.identity.memberId ? "notAdmin" : "notBound")));
  if (await demoDataPresent(db)) return say(reply(I("demoData")));
  const unknownType = (name: string) => reply(I("unknownType", { file: raw(name) }));
  if (file.name !== "" && !SHEET_NAME.test(file.name)) return say(unknownType(file.name));
  const tooBig = (name: string) => reply(I("tooBig", { file: raw(name), max: MAX_IMPORT_MB }));
  if (file.size !== null && file.size > MAX_IMPORT_BYTES) return say(tooBig(file.name));

  // One message says how far reading is, edited as it goes; where nothing can be edited, it
  // is said once and the preview follows. It names the file, so it waits for a name that
  // only the download tells.
  const ref = `import:${channel}:${chatId}:${now.getTime()}`;
  let name = file.name;
  let announced = false;
  const progress = (key: string, params: Record<string, string | number> = {}) => ({
    ...reply(I(key, { file: raw(name), ...params })),
    ref,
  });
  const show = async (r: Reply) => {
    if (!announced) {
      announced = true;
      return say({ ...r, ref });
    }
    const [rendered] = await render([{ ...r, ref, edit: true }]);
    if (outlet.edit) await outlet.edit(rendered!);
    else await outlet.send([rendered!]);
  };
  if (name !== "") await show(progress("reading"));

  try {
    let buffer: Buffer;
    try {
      const downloaded = await file.download();
      buffer = downloaded.data;
      name = name || downloaded.name || "";
    } catch (error) {
      deps.onError?.(error);
      return show(progress("downloadFailed"));
    }
    if (!SHEET_NAME.test(name)) return show(unknownType(name));
    if (buffer.length > MAX_IMPORT_BYTES) return show(tooBig(name));
    if (!announced) await show(progress("reading"));
    let shownAt = Date.now();
    let editing: Promise<void> = Promise.resolve();
    const every = deps.progressEveryMs ?? PROGRESS_EVERY_MS;
    const onProgress = (p: ImportProgress) => {
      if (!outlet.edit || Date.now() - shownAt < every) return;
      shownAt = Date.now();
      const shown = progress("progress", {
        rows: p.rowsRead,
        refused: p.refused,
      });
      editing = editing.then(() => show(shown)).catch((error) => deps.onError?.(error));
    };
    const preview = await previewImport(db, {
      source: { name, buffer },
      actor: { kind: "admin", adminId },
      season: deps.season,
      now,
      onProgress,
    });
    await editing;
    if (!preview.ok) {
      const why = importRefusalText(t, preview, deps.season.timezone);
      return show(reply(raw(why)));
    }
    const { rows, refused } = preview.counts;
    if (outlet.edit) await show(progress("read", { rows, refused }));
    await say(await previewReply(db, t, preview, deps.season.timezone));
  } catch (error) {
    if (databaseUnavailable(error)) throw error;
    deps.onError?.(error);
    await say(reply(text("chat:errors.internal")));
  }
}

/** The preview, its refused rows as a file, and Apply (when there is anything) / Cancel. */
async function previewReply(
  db: Db,
  t: ReturnType<typeof translator>,
  preview: ImportPreview,
  timeZone: string,
): Promise<Reply> {
  const { counts, importId } = preview;
  const something = counts.add + counts.change + counts.move > 0;
  const buttons: Button[][] = [
    [
      ...(something ? [applyImportAction.button(I("apply"), { importId })] : []),
      cancelImportAction.button(I("cancel"), { importId }),
    ],
    menuButtonRow(),
  ];
  const said = [raw(await previewText(t, db, preview)), I(something ? "confirm" : "nothingHint")];
  if (counts.refused > 0) said.push(I("refusedFile"));
  return {
    ...reply(said, buttons),
    ...(counts.refused > 0
      ? {
          document: {
            name: t("import:preview.refusedFile"),
            mime: SHEET_MIME.xlsx,
            base64: (await refusedRowsSheet(t, db, preview, timeZone)).toString("base64"),
          },
        }
      : {}),
  };
}
