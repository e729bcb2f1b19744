/**
 * /import in chat (issue 18): `/import` (or the menu entry) tells an admin how to send the file;
 * the file itself comes in through `importFile.ts`, which answers with the preview and the
 * buttons defined here. Apply, Cancel and Undo run the imports service with the presser's own
 * admin id, which checks the import is theirs and within their subtree.
 */
import { z } from "zod";
import { translator } from "../../i18n.ts";
import {
  applyImport,
  cancelImport,
  demoDataPresent,
  type ImportRefusal,
  undoImport,
} from "../../services/imports/index.ts";
import { type AdminContext, defineAction } from "../defineAction.ts";
import { importRefusalText } from "../importText.ts";
import type { DialogRegistry } from "../registry.ts";
import { menuButtonRow, raw, reply, text } from "../replies.ts";
import type { Flow, GlobalActionResult, Text } from "../types.ts";

export const I = (key: string, params?: Text["params"]) => text(`import:chat.${key}`, params);

/** The largest file the chat takes: what Telegram's getFile and WeCom's media/get hand out. */
export const MAX_IMPORT_MB = 20;
export const MAX_IMPORT_BYTES = MAX_IMPORT_MB * 1024 * 1024;

const importArgs = z.object({ importId: z.number().int().positive() });

const refused = (ctx: AdminContext, refusal: ImportRefusal): GlobalActionResult => ({
  replies: [
    reply(raw(importRefusalText(translator(ctx.locale), refusal, ctx.season.timezone)), [
      menuButtonRow(),
    ]),
  ],
});

const actorOf = (ctx: AdminContext) => ({
  kind: "admin" as const,
  adminId: ctx.identity.adminId,
});

export const undoImportAction = defineAction(
  "importUndo",
  importArgs,
  { requires: "admin" },
  async (ctx, { importId }) => {
    const undone = await undoImport(ctx.db, {
      importId,
      actor: actorOf(ctx),
      now: ctx.now,
    });
    if (!undone.ok) return refused(ctx, undone);
    return {
      replies: [reply(I("undone", { ...undone.counts }), [menuButtonRow()])],
    };
  },
);

export const applyImportAction = defineAction(
  "importApply",
  importArgs,
  { requires: "admin" },
  async (ctx, { importId }) => {
    const applied = await applyImport(ctx.db, {
      importId,
      actor: actorOf(ctx),
      now: ctx.now,
    });
    if (!applied.ok) return refused(ctx, applied);
    return {
      replies: [
        reply(
          [I("applied", { ...applied.counts }), I("undoHint")],
          [[undoImportAction.button(I("undo"), { importId })], menuButtonRow()],
        ),
      ],
    };
  },
);

export const cancelImportAction = defineAction(
  "importCancel",
  importArgs,
  { requires: "admin" },
  async (ctx, { importId }) => {
    const cancelled = await cancelImport(ctx.db, {
      importId,
      actor: actorOf(ctx),
    });
    if (!cancelled.ok) return refused(ctx, cancelled);
    return { replies: [reply(I("cancelled"), [menuButtonRow()])] };
  },
);

/** `/import`: how to send the file, or why not here. It waits for nothing: a file is a file. */
export const importFlow: Flow<null> = {
  name: "import",
  requires: "admin",
  async start(ctx) {
    const why = ctx.isGroup
      ? I("privateOnly")
      : (await demoDataPresent(ctx.db))
        ? I("demoData")
        : null;
    const said = why ?? [I("howTo", { max: MAX_IMPORT_MB }), I("templates")];
    return { state: null, replies: [reply(said, [menuButtonRow()])] };
  },
  handle: () => ({ state: null, replies: [] }),
};

export function registerImports(registry: DialogRegistry): DialogRegistry {
  return registry
    .flow(importFlow)
    .command("import", () => ({ replies: [], begin: { flow: "import" } }))
    .action(applyImportAction)
    .action(cancelImportAction)
    .action(undoImportAction);
}
