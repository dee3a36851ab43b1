/** What `npm run plan` writes in place of every secret value (CONTRACTS.md); the pack flags it in a ConfigMap. */
export const REDACTED = "[secret]";
