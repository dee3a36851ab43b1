/**
 * Benji's retention rules (`benji enforce RULES_SPEC`), parsed exactly as Benji 0.17.0 does
 * (elemental-lf/benji `src/benji/retentionfilter.py` `RetentionFilter._parse_rules`), so a spec Benji would refuse
 * at 06:00 every night is refused at `pulumi preview` instead.
 */

/** The time categories Benji knows, in the order it applies them. */
export const BENJI_RETENTION_CATEGORIES = ["latest", "hours", "days", "weeks", "months", "years"] as const;
export type BenjiRetentionCategory = (typeof BENJI_RETENTION_CATEGORIES)[number];

/** Example shown in every error message. */
export const BENJI_RETENTION_EXAMPLE = "'latest7' or 'latest3,days7,weeks4,months3'";

const TOKEN = /^([a-z]+)([0-9]+)$/;

/**
 * Parses `latest3,days7,...` into category → count. Throws an Error whose message names the offending element:
 * empty elements, unknown categories, a category given twice, a count of 0, whitespace or upper case.
 */
export function parseBenjiRetention(spec: string): Partial<Record<BenjiRetentionCategory, number>> {
  const rules: Partial<Record<BenjiRetentionCategory, number>> = {};
  for (const token of spec.split(",")) {
    if (token === "") throw new Error("contains an empty rule (two commas in a row, or a leading/trailing comma)");
    const match = TOKEN.exec(token);
    if (!match) throw new Error(`rule '${token}' is not a category followed by a count`);
    const category = match[1] as BenjiRetentionCategory;
    if (!BENJI_RETENTION_CATEGORIES.includes(category)) {
      throw new Error(`rule '${token}' has the unknown category '${match[1]}' (known: ${BENJI_RETENTION_CATEGORIES.join(", ")})`);
    }
    if (category in rules) throw new Error(`category '${category}' is listed more than once`);
    const count = Number(match[2]);
    if (count <= 0) throw new Error(`rule '${token}' needs a count of at least 1`);
    rules[category] = count;
  }
  return rules;
}
