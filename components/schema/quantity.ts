/**
 * Kubernetes byte quantities (`20Gi`, `500M`) as the config accepts them. The grammar is apimachinery's
 * (kubernetes/apimachinery `pkg/api/resource/quantity.go`):
 *
 *   <quantity> ::= <signedNumber><suffix>        <suffix> ::= <binarySI> | <decimalExponent> | <decimalSI>
 *   <binarySI> ::= Ki | Mi | Gi | Ti | Pi | Ei   <decimalSI> ::= m | "" | k | M | G | T | P | E
 *   <number>   ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *
 * For sizes the config is stricter on purpose: a suffix is required (`"20"` is 20 bytes, and a kubelet evicts the pod
 * that fills it), `m` is refused (milli-bytes), and so are signs and the exponent form. @kubernetes/client-node's
 * `quantityToScalar` is not used: it parses `1.5Gi` with BigInt and throws, and takes `"20"` silently.
 */
const BYTE_QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)$/;
/** Any quantity of the apimachinery grammar, to tell "wrong unit" from "not a quantity at all". */
const ANY_QUANTITY = /^[+-]?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|m|k|M|G|T|P|E)?$/;

const MULTIPLIER: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

export const BYTE_UNITS = "Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E";

/** Bytes of a size quantity with a unit, or undefined when it is not one. */
export function parseByteQuantity(text: string): number | undefined {
  const match = BYTE_QUANTITY.exec(text);
  return match ? Number(match[1]) * MULTIPLIER[match[2]] : undefined;
}

/** Why a text is not a size quantity with a unit, or undefined when it is one. */
export function byteQuantityError(text: string): string | undefined {
  if (parseByteQuantity(text) !== undefined) return parseByteQuantity(text)! > 0 ? undefined : "is zero; expected a positive size such as '20Gi'";
  if (/^\d+(\.\d*)?$|^\.\d+$/.test(text)) return `has no unit: '${text}' is ${text} bytes; expected a size with a unit such as '${text}Mi' or '${text}Gi' (${BYTE_UNITS})`;
  if (ANY_QUANTITY.test(text)) {
    if (/m$/.test(text)) return `'m' is milli (thousandths of a byte); expected a size with a unit such as '20Gi' or '500Mi' (${BYTE_UNITS})`;
    return `expected a positive size written with a unit such as '20Gi' (${BYTE_UNITS}; no sign, no exponent)`;
  }
  return `expected a Kubernetes quantity with a unit such as '20Gi' or '512Mi' (${BYTE_UNITS}; case matters: 'Gi', not 'gi' or 'GB')`;
}

/** `1073741824` → `1Gi`: the largest binary unit that divides the size, for messages. */
export function formatBytes(bytes: number): string {
  for (const unit of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    if (bytes >= MULTIPLIER[unit] && bytes % MULTIPLIER[unit] === 0) return `${bytes / MULTIPLIER[unit]}${unit}`;
  }
  return `${bytes}`;
}
