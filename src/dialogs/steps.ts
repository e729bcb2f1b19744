/**
 * Step-list flows: a flow described as named questions, with a history stack so "back" returns
 * to the previous question with the answers as they were then, and "cancel" is the engine's.
 */
import type { z } from "zod";
import { type AdminContext, isAdminContext } from "./defineAction.ts";
import { backCancelRow, reply, text } from "./replies.ts";
import type { DialogContext, Flow, FlowInput, FlowResult, Json, Message, Reply } from "./types.ts";

export interface StepsState<D extends Json = Json> {
  step: string;
  data: D;
  history: { step: string; data: D }[];
}

export type StepOutcome<D extends Json, K extends string = string> =
  /** Answered: go to `next` (the current step is pushed on the history). */
  | { next: K; data: D }
  /** Ask the same step again with new data, e.g. another page of a picker. */
  | { stay: D }
  /** Bad input: the reason (one text or several lines), then the same question. */
  | { invalid: Message }
  /** Finished: these replies end the flow. */
  | { done: Reply[] };

type Maybe<T> = T | Promise<T>;

/** A step; `C` is the context it is asked in (an admin's, in a flow that `requires: "admin"`). */
export interface Step<D extends Json, K extends string = string, C = DialogContext> {
  /** The question; the helper appends Back / Cancel buttons. */
  ask(ctx: C, data: D): Maybe<Reply>;
  text?(ctx: C, data: D, text: string): Maybe<StepOutcome<D, K>>;
  action?(ctx: C, data: D, value: Json): Maybe<StepOutcome<D, K>>;
}

/**
 * How the flow begins: `initial` from whatever it was begun with, or, with an `args` schema,
 * `fromArgs` from arguments checked first; a flow begun with missing or malformed ones (a
 * button from an older version) is told "stale". (Two names, so the compiler tells the two
 * apart by which one is there.)
 */
type Start<D extends Json, A, C> =
  | { args: z.ZodType<A>; fromArgs(ctx: C, args: A): Maybe<D>; initial?: undefined }
  | { args?: undefined; fromArgs?: undefined; initial(ctx: C, args: A | undefined): Maybe<D> };

/**
 * `K` names the steps: with it (`stepFlow<Data, Args, "name" | "confirm">`), `first`, every
 * `next` and the `steps` table must agree, so a misspelled step does not compile.
 */
export type StepFlowDefinition<
  D extends Json,
  A extends Json,
  K extends string = string,
  C = DialogContext,
> = {
  name: string;
  requires?: "member" | "admin";
  first: NoInfer<K>;
  steps: Record<K, Step<D, NoInfer<K>, C>>;
  /** What to say when the flow is left unfinished (see `Flow.leave`). */
  leave?(ctx: C, data: D): Maybe<Message | null>;
  /**
   * Where a flow started with its answers already given begins (a refiled application at its
   * summary), and the steps Back then leads through, first to last.
   */
  resume?(data: D): { step: NoInfer<K>; back: NoInfer<K>[] } | null;
} & Start<D, A, C>;

/** `requires: "admin"` types every step's context as an admin's (`ctx.identity.adminId: number`). */
export function stepFlow<D extends Json, A extends Json = Json, K extends string = string>(
  def: StepFlowDefinition<D, A, K, AdminContext> & { requires: "admin" },
): Flow<StepsState<D> & Json, A>;
export function stepFlow<D extends Json, A extends Json = Json, K extends string = string>(
  def: StepFlowDefinition<D, A, K>,
): Flow<StepsState<D> & Json, A>;
export function stepFlow<D extends Json, A extends Json = Json, K extends string = string>(
  def: StepFlowDefinition<D, A, K>,
): Flow<StepsState<D> & Json, A> {
  type S = StepsState<D> & Json;
  const stepOf = (name: string) => {
    const step = (def.steps as Record<string, Step<D, K> | undefined>)[name];
    if (!step) throw new Error(`flow ${def.name}: no step ${name}`);
    return step;
  };
  const ask = async (
    ctx: DialogContext,
    state: S,
    before: Reply[] = [],
  ): Promise<FlowResult<S>> => {
    const question = await stepOf(state.step).ask(ctx, state.data);
    const rows = [...(question.buttons ?? []), backCancelRow(state.history.length > 0)];
    return { state, replies: [...before, { ...question, buttons: rows }] };
  };
  const apply = async (
    ctx: DialogContext,
    state: S,
    outcome: StepOutcome<D>,
  ): Promise<FlowResult<S>> => {
    if ("done" in outcome) return { state: null, replies: outcome.done };
    if ("invalid" in outcome) return ask(ctx, state, [reply(outcome.invalid)]);
    if ("stay" in outcome)
      return ask(ctx, { step: state.step, data: outcome.stay, history: state.history } as S);
    const history = [...state.history, { step: state.step, data: state.data }];
    return ask(ctx, { step: outcome.next, data: outcome.data, history } as S);
  };
  // The engine lets only admins begin an admin's flow; one who stopped being an admin since
  // (removed by a colleague) is answered as anyone else would be, before a step runs.
  const allowed = (ctx: DialogContext) => def.requires !== "admin" || isAdminContext(ctx);
  const leave = def.leave;
  return {
    name: def.name,
    ...(def.requires ? { requires: def.requires } : {}),
    ...(leave
      ? { leave: (ctx: DialogContext, state: S) => (allowed(ctx) ? leave(ctx, state.data) : null) }
      : {}),
    async start(ctx, args) {
      if (!allowed(ctx)) return adminOnly();
      let data: D;
      if (def.args) {
        const parsed = def.args.safeParse(args);
        if (!parsed.success) return { state: null, replies: [reply(text("chat:stale"))] };
        data = await def.fromArgs(ctx, parsed.data);
      } else data = await def.initial(ctx, args);
      const at = def.resume?.(data);
      if (at) {
        const history = at.back.map((step) => ({ step, data }));
        return ask(ctx, { step: at.step, data, history } as S);
      }
      return ask(ctx, { step: def.first, data, history: [] } as S);
    },
    async handle(ctx, state, input: FlowInput) {
      if (!allowed(ctx)) return adminOnly();
      if (input.type === "back") {
        const previous = state.history.at(-1);
        if (!previous) return ask(ctx, state, [reply({ key: "chat:nav.atFirstStep" })]);
        return ask(ctx, { ...previous, history: state.history.slice(0, -1) } as S);
      }
      const step = stepOf(state.step);
      const outcome =
        input.type === "text"
          ? step.text
            ? await step.text(ctx, state.data, input.text)
            : { invalid: { key: "chat:nav.useButtons" } }
          : step.action
            ? await step.action(ctx, state.data, input.value)
            : { invalid: { key: "chat:nav.typeAnswer" } };
      return apply(ctx, state, outcome);
    },
  };
}

/** Said to someone no longer an admin in an admin's flow (the engine says it before a start). */
export const adminOnly = (): FlowResult<never> => ({
  state: null,
  replies: [reply(text("chat:errors.only.admin"))],
});
