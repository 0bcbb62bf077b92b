// A file to upload as it is on disk (bulk revocations, directory imports): the bytes are sent unchanged,
// so line numbers in the API's rejections are the file's own. The type is CSV or NDJSON by extension,
// else by the first character that is not white space ({ or [ → NDJSON, anything else CSV).
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { usageFailure } from "./errors.mjs";

const CSV = "text/csv";
const NDJSON = "application/x-ndjson";

const BY_EXTENSION = { ".csv": CSV, ".ndjson": NDJSON, ".jsonl": NDJSON };

/** @returns {{ bytes: Buffer, contentType: string }} */
export function readUploadFile(path) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw usageFailure(`cannot read ${path}: ${error.code === "ENOENT" ? "no such file" : error.message}`);
  }
  return { bytes, contentType: BY_EXTENSION[extname(path).toLowerCase()] ?? sniff(bytes) };
}

function sniff(bytes) {
  const first = bytes
    .toString("utf8", 0, Math.min(bytes.length, 1024))
    .replace(/^\uFEFF/, "")
    .trimStart()[0];
  return first === "{" || first === "[" ? NDJSON : CSV;
}
