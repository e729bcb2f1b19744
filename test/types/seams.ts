/**
 * Compile-time proofs (checked by `npm run typecheck`, never run): the seams between layers
 * are types, so a misspelled action, step or event is an error. Each `@ts-expect-error` fails
 * the typecheck if the line below it ever compiles.
 */
import { z } from "zod";
import { defineAction } from "../../src/dialogs/defineAction.ts";
import { approveAction } from "../../src/dialogs/flows/decide.ts";
import { raw, reply } from "../../src/dialogs/replies.ts";
import { stepFlow } from "../../src/dialogs/steps.ts";
import { dedupeKey, type EventTable } from "../../src/notices/events.ts";

// An action's button takes its own arguments; there is no name to misspell.
approveAction.button(raw("ok"), { id: 1 });
// @ts-expect-error the argument schema says `id` is a number
approveAction.button(raw("ok"), { id: "1" });

// @ts-expect-error a misspelled action does not exist
import { aproveAction } from "../../src/dialogs/flows/decide.ts";

void aproveAction;

// `requires: "admin"` types the admin's id as a number: no `?? -1` needed.
defineAction("x", z.undefined(), { requires: "admin" }, (ctx) => {
  const id: number = ctx.identity.adminId;
  return { replies: [reply(raw(String(id)))] };
});

// A wizard that `requires: "admin"` gets an admin's context in every step, and one begun with
// an `args` schema gets its arguments checked: no `?? -1` for either.
stepFlow<{ id: number }, { id: number }, "note">({
  name: "adminWizard",
  requires: "admin",
  first: "note",
  args: z.object({ id: z.number() }),
  fromArgs: (_ctx, args) => ({ id: args.id }),
  steps: {
    note: {
      ask: (ctx, data) => reply(raw(String(ctx.identity.adminId + data.id))),
      text: (ctx, data) => {
        const id: number = ctx.identity.adminId;
        return { done: [reply(raw(String(id + data.id)))] };
      },
    },
  },
});
stepFlow<{ id: number }, { id: number }, "ask">({
  name: "anyone",
  first: "ask",
  initial: (_ctx, args) => ({ id: args?.id ?? 0 }),
  steps: {
    ask: {
      ask: (ctx) => {
        // @ts-expect-error without `requires: "admin"` the person may be no admin
        const id: number = ctx.identity.adminId;
        return reply(raw(String(id)));
      },
    },
  },
});
stepFlow<{ id: number }, { id: number }, "ask">({
  name: "unchecked",
  first: "ask",
  // @ts-expect-error without an `args` schema the arguments may be missing
  initial: (_ctx, args) => ({ id: args.id }),
  steps: { ask: { ask: () => reply(raw("?")) } },
});

// Step names: `first` and every `next` must name a step.
stepFlow<{ n?: number }, Record<string, never>, "ask" | "confirm">({
  name: "typed",
  first: "ask",
  initial: () => ({}),
  steps: {
    ask: {
      ask: () => reply(raw("?")),
      // @ts-expect-error a misspelled step
      text: (_ctx, data) => ({ next: "confrim", data }),
    },
    confirm: { ask: () => reply(raw("!")) },
  },
});

// Events: the catalog knows every event's payload and key.
dedupeKey({
  // @ts-expect-error a misspelled event
  event: "outcom",
  to: { member: 1 },
  payload: { applicationId: 1, state: "completed" },
  key: { applicationId: 1, state: "completed" },
});

// A table of renderers missing one event does not compile.
// @ts-expect-error `digest` and the others are missing
const partial: EventTable<[], null> = { outcome: () => null };
void partial;
