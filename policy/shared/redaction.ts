/** What `npm run plan` writes in place of every secret value (docs/plan-contract.md); the pack flags it in a ConfigMap. */
export const REDACTED = "[secret]";
