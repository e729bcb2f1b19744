/** Text commands, recognized in any state: `/name` or `/name@bot`, then an optional argument. */
import { COMMANDS, type CommandName } from "./types.ts";

const COMMAND = /^\/([A-Za-z]+)(?:@\S+)?(?:\s+([\s\S]*))?$/;

export function parseCommand(input: string): { name: CommandName; arg: string } | null {
  const m = COMMAND.exec(input.trim());
  if (!m) return null;
  const name = m[1]!.toLowerCase();
  if (!(COMMANDS as readonly string[]).includes(name)) return null;
  return { name: name as CommandName, arg: (m[2] ?? "").trim() };
}
