/** Text commands, recognized in any state: `/name` or `/name@bot`, then an optional argument. */
const COMMAND = /^\/([A-Za-z]+)(?:@\S+)?(?:\s+([\s\S]*))?$/;

/** The command in `input`, if it names one that `isKnown` accepts. */
export function parseCommand(
  input: string,
  isKnown: (name: string) => boolean,
): { name: string; arg: string } | null {
  const m = COMMAND.exec(input.trim());
  if (!m) return null;
  const name = m[1]!.toLowerCase();
  if (!isKnown(name)) return null;
  return { name, arg: (m[2] ?? "").trim() };
}
