/** The named flows and global actions an engine knows. */
import type { Flow, GlobalAction, Json } from "./types.ts";

export class DialogRegistry {
  readonly #flows = new Map<string, Flow>();
  readonly #actions = new Map<string, GlobalAction>();

  /** Adds a flow; its `name` is what buttons (`{ type: "flow", flow }`) and states refer to. */
  flow<S extends Json, A extends Json>(flow: Flow<S, A>): this {
    if (this.#flows.has(flow.name)) throw new Error(`flow ${flow.name} registered twice`);
    this.#flows.set(flow.name, flow as unknown as Flow);
    return this;
  }

  /** Adds a handler for `{ type: "global", name }` buttons. */
  action(name: string, handler: GlobalAction): this {
    if (this.#actions.has(name)) throw new Error(`global action ${name} registered twice`);
    this.#actions.set(name, handler);
    return this;
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
