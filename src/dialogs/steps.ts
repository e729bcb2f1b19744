/**
 * Step-list flows: a flow described as named questions, with a history stack so "back" returns
 * to the previous question with the answers as they were then, and "cancel" is the engine's.
 */
import { backCancelRow, reply } from "./replies.ts";
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

export interface Step<D extends Json, K extends string = string> {
  /** The question; the helper appends Back / Cancel buttons. */
  ask(ctx: DialogContext, data: D): Maybe<Reply>;
  text?(ctx: DialogContext, data: D, text: string): Maybe<StepOutcome<D, K>>;
  action?(ctx: DialogContext, data: D, value: Json): Maybe<StepOutcome<D, K>>;
}

/**
 * `K` names the steps: with it (`stepFlow<Data, Args, "name" | "confirm">`), `first`, every
 * `next` and the `steps` table must agree, so a misspelled step does not compile.
 */
export interface StepFlowDefinition<D extends Json, A extends Json, K extends string = string> {
  name: string;
  requires?: "member" | "admin";
  first: NoInfer<K>;
  initial(ctx: DialogContext, args: A | undefined): Maybe<D>;
  steps: Record<K, Step<D, NoInfer<K>>>;
  /** What to say when the flow is left unfinished (see `Flow.leave`). */
  leave?(ctx: DialogContext, data: D): Maybe<Message | null>;
  /**
   * Where a flow started with its answers already given begins (a refiled application at its
   * summary), and the steps Back then leads through, first to last.
   */
  resume?(data: D): { step: NoInfer<K>; back: NoInfer<K>[] } | null;
}

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
  const leave = def.leave;
  return {
    name: def.name,
    ...(def.requires ? { requires: def.requires } : {}),
    ...(leave ? { leave: (ctx: DialogContext, state: S) => leave(ctx, state.data) } : {}),
    async start(ctx, args) {
      const data = await def.initial(ctx, args);
      const at = def.resume?.(data);
      if (at) {
        const history = at.back.map((step) => ({ step, data }));
        return ask(ctx, { step: at.step, data, history } as S);
      }
      return ask(ctx, { step: def.first, data, history: [] } as S);
    },
    async handle(ctx, state, input: FlowInput) {
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
