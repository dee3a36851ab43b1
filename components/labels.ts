/** The label and annotation vocabulary lives with the policy pack (policy/shared/labels.ts), which must stay self-contained. */
export * from "../policy/shared/labels";
