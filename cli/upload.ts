// A file to upload as it is on disk (bulk revocations, directory imports): the bytes are sent unchanged,
// so line numbers in the API's rejections are the file's own. The type is CSV or NDJSON by extension,
// else by the first character that is not white space ({ or [ → NDJSON, anything else CSV). Its SHA-256
// names the bytes (a bulk upload's default Idempotency-Key).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { usageFailure } from "./errors.ts";

const CSV = "text/csv";
const NDJSON = "application/x-ndjson";

const BY_EXTENSION: Record<string, string> = { ".csv": CSV, ".ndjson": NDJSON, ".jsonl": NDJSON };

export type Upload = { bytes: Buffer; contentType: string; sha256: string };

export function readUploadFile(path: string): Upload {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    throw usageFailure(`cannot read ${path}: ${failure.code === "ENOENT" ? "no such file" : failure.message}`);
  }
  return {
    bytes,
    contentType: BY_EXTENSION[extname(path).toLowerCase()] ?? sniff(bytes),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

function sniff(bytes: Buffer): string {
  const first = bytes
    .toString("utf8", 0, Math.min(bytes.length, 1024))
    .replace(/^\uFEFF/, "")
    .trimStart()[0];
  return first === "{" || first === "[" ? NDJSON : CSV;
}
