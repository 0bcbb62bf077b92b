// Building the page from the API's answers. Everything the API answers (emails, reasons, errors) is
// written as text, never parsed as HTML: the page's policy (require-trusted-types-for 'script') makes
// every HTML sink throw.

/** The element the document (ui/template.ts) gives this id; a missing one is a bug, not a state. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export function node<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string | number | null, className?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== undefined && text !== null) element.textContent = String(text);
  if (className) element.className = className;
  return element;
}

export function cell(content: string | number | Node, className?: string): HTMLTableCellElement {
  const td = node("td", content instanceof Node ? null : content, className);
  if (content instanceof Node) td.append(content);
  return td;
}

/** Replaces the children of #id. */
export function fill(id: string, children: Node[]): void {
  byId(id).replaceChildren(...children);
}
