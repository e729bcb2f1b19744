/**
 * A global action defined once: its name, the schema of its arguments and its handler, and the
 * builder of the buttons that press it. A card's button and the code answering it are the same
 * symbol, so a misspelled action or a wrong argument is a compile error, and a forged or
 * outdated payload is refused by the schema before the handler runs.
 */
import type { z } from "zod";
import { button, reply, text } from "./replies.ts";
import type {
  Button,
  DialogContext,
  GlobalAction,
  GlobalActionResult,
  Identity,
  Json,
  Text,
} from "./types.ts";

/** A context whose person is known to be an admin (`requires: "admin"`). */
export type AdminContext = DialogContext & { identity: Identity & { adminId: number } };

type Maybe<T> = T | Promise<T>;

export interface ActionDefinition<A> {
  readonly name: string;
  /** A button pressing this action with these arguments. */
  button(label: Text | string, ...args: A extends undefined ? [] : [A]): Button;
  /** What the registry calls: checks the arguments (and the admin) before the handler. */
  readonly handle: GlobalAction;
}

/** Any defined action, as the registry holds it. */
export interface RegisteredAction {
  readonly name: string;
  readonly handle: GlobalAction;
}

/** Said for a payload the schema refuses: a button from an older version, or a forged one. */
const stale = (): GlobalActionResult => ({
  replies: [{ ...reply(text("chat:stale")), popup: text("chat:stalePopup") }],
});

/** Said to someone not an admin pressing an admin's button. */
const notAuthorized = (): GlobalActionResult => ({
  replies: [{ ...reply(text("card:notAuthorized")), popup: text("card:notAuthorizedPopup") }],
});

export const isAdminContext = (ctx: DialogContext): ctx is AdminContext =>
  ctx.identity.adminId !== null;

export function defineAction<S extends z.ZodType>(
  name: string,
  schema: S,
  handler: (ctx: DialogContext, args: z.output<S>) => Maybe<GlobalActionResult>,
): ActionDefinition<z.input<S>>;
export function defineAction<S extends z.ZodType>(
  name: string,
  schema: S,
  options: { requires: "admin" },
  handler: (ctx: AdminContext, args: z.output<S>) => Maybe<GlobalActionResult>,
): ActionDefinition<z.input<S>>;
export function defineAction<S extends z.ZodType>(
  name: string,
  schema: S,
  ...rest:
    | [(ctx: DialogContext, args: z.output<S>) => Maybe<GlobalActionResult>]
    | [{ requires: "admin" }, (ctx: AdminContext, args: z.output<S>) => Maybe<GlobalActionResult>]
): ActionDefinition<z.input<S>> {
  const handle: GlobalAction = async (ctx, args) => {
    const parsed = schema.safeParse(args);
    if (!parsed.success) return stale();
    if (rest.length === 1) return rest[0](ctx, parsed.data);
    if (!isAdminContext(ctx)) return notAuthorized();
    return rest[1](ctx, parsed.data);
  };
  return {
    name,
    handle,
    button: (label, ...args) => {
      // The arguments are stored as JSON (an absent optional field simply drops out).
      const [a] = args as [Json | undefined];
      return button(
        label,
        a === undefined ? { type: "global", name } : { type: "global", name, args: a },
      );
    },
  };
}
