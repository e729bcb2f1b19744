/** The named flows and global actions an engine knows. */
import type { RegisteredAction } from "./defineAction.ts";
import type { Binding, CommandHandler, Flow, GlobalAction, Json } from "./types.ts";

export class DialogRegistry {
  readonly #flows = new Map<string, Flow>();
  readonly #actions = new Map<string, GlobalAction>();
  readonly #commands = new Map<string, CommandHandler>();
  #binding: Binding | undefined;

  /** Adds a flow; its `name` is what buttons (`{ type: "flow", flow }`) and states refer to. */
  flow<S extends Json, A extends Json>(flow: Flow<S, A>): this {
    if (this.#flows.has(flow.name)) throw new Error(`flow ${flow.name} registered twice`);
    this.#flows.set(flow.name, flow as unknown as Flow);
    return this;
  }

  /** Adds the handler of an action's buttons (see `defineAction`). */
  action(action: RegisteredAction): this {
    if (this.#actions.has(action.name)) {
      throw new Error(`global action ${action.name} registered twice`);
    }
    this.#actions.set(action.name, action.handle);
    return this;
  }

  /** Adds a text command `/name` (lower-case letters), answered in any dialog state. */
  command(name: string, handler: CommandHandler): this {
    if (this.#commands.has(name)) throw new Error(`command ${name} registered twice`);
    this.#commands.set(name, handler);
    return this;
  }

  /** Sets how chat accounts are bound (its flow must be registered too). */
  binding(binding: Binding): this {
    if (this.#binding) throw new Error("binding registered twice");
    this.#binding = binding;
    return this;
  }

  getBinding(): Binding | undefined {
    return this.#binding;
  }

  getCommand(name: string): CommandHandler | undefined {
    return this.#commands.get(name);
  }

  getFlow(name: string): Flow | undefined {
    return this.#flows.get(name);
  }

  getAction(name: string): GlobalAction | undefined {
    return this.#actions.get(name);
  }

  hasFlow(name: string): boolean {
    return this.#flows.has(name);
  }
}
