/**
 * Compile-time proofs (checked by `npm run typecheck`, never run): the seams between layers
 * are types, so a misspelled action, step or event is an error. Each `@ts-expect-error` fails
 * the typecheck if the line below it ever compiles.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { type Db, query } from "../../src/db/client.ts";
import { defineAction } from "../../src/dialogs/defineAction.ts";
import { type PickData, type PickStep, pickSteps } from "../../src/dialogs/flows/admin/pick.ts";
import { approveAction } from "../../src/dialogs/flows/decide.ts";
import { type TransferData, transferSteps } from "../../src/dialogs/flows/transfer.ts";
import { raw, reply } from "../../src/dialogs/replies.ts";
import { stepFlow } from "../../src/dialogs/steps.ts";
import { dedupeKey, type EventTable } from "../../src/notices/events.ts";

declare const db: Db;

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

// Hand-written statements: only a column the row type declares as a Date may be read as one.
void query<{ at: Date; n: number }>(db, sql`select 1`, { at: "date" });
// @ts-expect-error `n` is a number, not a timestamp
void query<{ at: Date; n: number }>(db, sql`select 1`, { n: "date" });
// @ts-expect-error a misspelled column
void query<{ at: Date; n: number }>(db, sql`select 1`, { ta: "date" });

// The remaining wizards name their steps too: the identity marking flow's `next` is checked.
type IdentityStepTest = PickStep | "kind";
stepFlow<PickData, Record<string, never>, IdentityStepTest>({
  name: "typedPick",
  first: "branchQuery",
  initial: () => ({}),
  steps: {
    // @ts-expect-error a misspelled step after the member is chosen (the overloads report it here)
    ...pickSteps<PickData, IdentityStepTest>({
      members: { after: (_ctx, data) => ({ next: "knid", data }) },
    }),
    kind: { ask: () => reply(raw("?")) },
  },
});

// The member wizard's destination step must be a step of the flow.
transferSteps<TransferData, "inDestination">({
  initiator: "in_admin",
  // @ts-expect-error a misspelled destination step
  destinationStep: "inDestinaton",
  filer: () => null,
});

// The wizard's answers are the service's input: a field it does not take is not an answer.
// @ts-expect-error `schoolNmae` is no field of the request
const answers: TransferData = { reason: "further_study", schoolNmae: "x" };
void answers;
