/**
 * `/targets` (§5): a leading organ's admin lists the targets in force for their region and sets
 * or removes its own: `/targets xs 97 10-31`, `/targets fq 100 2026-08-31`, `/targets xs off
 * 10-31`. A day without a year is the season's.
 */
import { INDICATORS, type Indicator } from "../../../domain/indicators.ts";
import { removeTarget, setTarget, targetsOf } from "../../../services/targets.ts";
import { refusalText } from "../../refusals.ts";
import { menuButtonRow, reply, text } from "../../replies.ts";
import { targetListLines } from "../../targetLines.ts";
import type { CommandHandler, DialogContext, GlobalActionResult, Text } from "../../types.ts";

const S = (key: string, params?: Text["params"]) => text(`seasons:${key}`, params);

type TargetCommand =
  | { kind: "list" }
  | { kind: "set"; indicator: Indicator; percent: number; due: string }
  | { kind: "remove"; indicator: Indicator; due: string };

/** The typed argument, or null when it is not one of the three forms. */
export function parseTargetCommand(arg: string, year: number): TargetCommand | null {
  const words = arg.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: "list" };
  if (words.length !== 3) return null;
  const [name, value, day] = words as [string, string, string];
  const indicator = INDICATORS.find((i) => i === name);
  const due = /^\d{1,2}-\d{1,2}$/.test(day) ? `${year}-${day}` : day;
  const normalized = due.replace(
    /^(\d{4})-(\d{1,2})-(\d{1,2})$/,
    (_, y, m, d) => `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`,
  );
  if (!indicator) return null;
  if (["off", "remove"].includes(value)) return { kind: "remove", indicator, due: normalized };
  const percent = /^\d{1,3}%?$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
  if (Number.isNaN(percent)) return null;
  return { kind: "set", indicator, percent, due: normalized };
}

async function listReply(ctx: DialogContext, adminId: number, before: Text[] = []) {
  const result = await targetsOf(ctx.db, adminId, ctx.season);
  const lines = result.ok ? targetListLines(result.view, ctx.season.year) : [refusalText(result)];
  return { replies: [reply([...before, ...lines], [menuButtonRow()])] };
}

export const targetsCommand: CommandHandler = async (ctx, arg): Promise<GlobalActionResult> => {
  const adminId = ctx.identity.adminId;
  if (adminId === null) return { replies: [reply(text("chat:errors.only.admin"))] };
  const command = parseTargetCommand(arg, ctx.season.year);
  if (!command) return listReply(ctx, adminId, [S("targets.badCommand")]);
  if (command.kind === "list") return listReply(ctx, adminId);
  const result =
    command.kind === "set"
      ? await setTarget(
          ctx.db,
          {
            adminId,
            target: { indicator: command.indicator, percent: command.percent, due: command.due },
          },
          ctx.now,
          ctx.season,
        )
      : await removeTarget(ctx.db, { adminId, ...command }, ctx.season);
  if (!result.ok) return listReply(ctx, adminId, [refusalText(result)]);
  return listReply(ctx, adminId, [S(command.kind === "set" ? "targets.saved" : "targets.removed")]);
};
