// Free text (a provider's error, a connection's detail) set inside a sentence the Worker writes: the alert
// text and the /healthz notes go on after it with their own punctuation, so a final period of its own would
// be doubled ("Network connection lost.. Its deliveries…", "lost.; see docs/…").
// Contract: pure.

/** `text` as the middle of a sentence: without its final period(s) and trailing white space. */
export function clause(text: string): string {
  return text.replace(/[.\s]+$/, "");
}
