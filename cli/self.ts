// How to run this CLI again, for the hints a person pastes back: `npm run cli --` when npm started it (in a
// checkout, where `access-revoker` is not on the PATH), else the bin's own name.
export const SELF = process.env.npm_lifecycle_event === "cli" ? "npm run cli --" : "access-revoker";
