/**
 * Text placed in HTML or XML (the web chat's page, a chart's SVG): the five characters that
 * could end a text or an attribute become character references.
 */
export const escapeMarkup = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
