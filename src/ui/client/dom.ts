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

/** A table cell; `name` is its column's, shown beside the value where narrow screens stack the row. */
export function cell(content: string | number | Node, className?: string, name?: string): HTMLTableCellElement {
  const td = node("td", content instanceof Node ? null : content, className);
  if (content instanceof Node) td.append(content);
  if (name) td.dataset.label = name;
  return td;
}

export function row(...cells: HTMLTableCellElement[]): HTMLTableRowElement {
  const tr = node("tr");
  tr.append(...cells);
  return tr;
}

export function headerRow(names: string[]): HTMLTableRowElement {
  return row(
    ...names.map((name) => {
      const th = node("th", name);
      th.scope = "col";
      return th;
    }),
  );
}

export function button(text: string, onClick: (event: MouseEvent) => void, className?: string): HTMLButtonElement {
  const element = node("button", text, className);
  element.type = "button";
  element.addEventListener("click", onClick);
  return element;
}

/** A definition list's terms and descriptions; a null description leaves its term out. */
export function definitions(pairs: [string, string | Node | null][]): Node[] {
  return pairs.flatMap(([term, description]) => {
    if (description === null) return [];
    const dd = node("dd");
    dd.append(description);
    return [node("dt", term), dd];
  });
}

/** Replaces the children of #id. */
export function fill(id: string, children: Node[]): void {
  byId(id).replaceChildren(...children);
}

/** Shows a message in a notice paragraph (hidden while empty). */
export function say(id: string, text: string, problem = false): void {
  const element = byId(id);
  element.textContent = text;
  element.className = problem ? "problem" : "done";
  element.hidden = text === "";
}
