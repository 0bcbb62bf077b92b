// Every change the page makes (a retry, clearing a hold) is asked for twice: the button, then this
// dialog, whose default is Cancel. Escape, Cancel or closing the dialog changes nothing.
import { byId } from "./dom";

/** Resolves true only when the operator pressed the confirming button. */
export function confirmed(question: string, detail: string, action: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>("confirm-dialog");
  byId("confirm-question").textContent = question;
  byId("confirm-detail").textContent = detail;
  byId("confirm-yes").textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true }));
}

export function initConfirm(): void {
  const dialog = byId<HTMLDialogElement>("confirm-dialog");
  byId("confirm-yes").addEventListener("click", () => dialog.close("yes"));
  byId("confirm-no").addEventListener("click", () => dialog.close("no"));
}
