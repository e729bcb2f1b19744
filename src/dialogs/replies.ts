/** Small constructors that keep flows short and every text a locale key. */
import type { Button, ButtonAction, Json, Message, Reply, Text } from "./types.ts";

export const text = (key: string, params?: Text["params"]): Text =>
  params ? { key, params } : { key };

/** Data from the database (an organization's name) shown as is, still through a locale key. */
export const raw = (value: string | number): Text => text("chat:raw", { value: String(value) });

export const reply = (message: Message, buttons?: Button[][]): Reply =>
  buttons && buttons.length > 0 ? { text: message, buttons } : { text: message };

export const button = (label: Text | string, action: ButtonAction): Button => ({
  label: typeof label === "string" ? text(label) : label,
  action,
});

export const stepButton = (label: Text | string, value: Json): Button =>
  button(label, { type: "step", value });

/** The row every step question ends with. */
export const backCancelRow = (withBack = true): Button[] => [
  ...(withBack ? [button("chat:nav.back", { type: "back" })] : []),
  button("chat:nav.cancel", { type: "cancel" }),
];

export const menuButtonRow = (): Button[] => [
  button("chat:nav.menu", { type: "command", command: "menu" }),
];
