/**
 * How template values map onto Go's: strings, numbers (an integral number is Go's int,
 * any other float64), booleans, arrays ([]interface{}), plain objects (maps, iterated
 * in sorted key order as Go does), `null` (nil) and `undefined` (Go's invalid value:
 * a missing map key, printed "<no value>"). A GoStruct stands for a Go value with
 * methods, such as werf's `.Files`.
 */

export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly methods: Record<string, (...args: unknown[]) => unknown>,
  ) {}
}

export type GoMap = Record<string, unknown>;

export function isMap(v: unknown): v is GoMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof GoStruct);
}

export function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** Go's type name for error messages (`can't evaluate field x in type string`). */
export function typeName(v: unknown): string {
  if (v === undefined || v === null) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  if (Array.isArray(v)) return "[]interface {}";
  if (v instanceof GoStruct) return v.typeName;
  return "map[string]interface {}";
}

/** Go's `truth`: false, 0, "", nil and empty collections are false; structs are true. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v !== "";
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoStruct) return true;
  return Object.keys(v as object).length > 0;
}

export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's fmt `%v` of one value. */
export function formatValue(v: unknown, nested = false): string {
  if (v === undefined) return nested ? "<nil>" : "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return formatNumber(v);
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, true)).join(" ")}]`;
  if (v instanceof GoStruct) return `{${v.typeName}}`;
  const m = v as GoMap;
  return `map[${sortedKeys(m).map((k) => `${k}:${formatValue(m[k], true)}`).join(" ")}]`;
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return BigInt(v).toString();
  return formatFloatG(v, -1);
}

/** strconv.FormatFloat(v, 'g', prec, 64); prec -1 is the shortest representation. */
export function formatFloatG(v: number, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const shortest = prec < 0;
  const exp = shortest ? v.toExponential() : v.toExponential(Math.max(prec, 1) - 1);
  const [mantissa, e] = exp.split("e");
  const exponent = Number(e);
  const digits = mantissa.replace("-", "").replace(".", "");
  const eprec = shortest ? 6 : Math.max(prec, 1);
  if (exponent < -4 || exponent >= eprec) {
    const m = shortest ? mantissa : mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    return `${m}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const fixed = v.toFixed(Math.max(digits.length - 1 - exponent, 0));
  return shortest ? fixed : fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/** Sprig's strval: strings as they are, everything else as `%v`. */
export function strval(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "<nil>";
  return formatValue(v, true);
}

/** spf13/cast's ToInt64, which Sprig's arithmetic uses: unparseable values are 0. */
export function toInt(v: unknown): number {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const s = v.trim().replace(/\.0*$/, "");
    if (/^[+-]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|\d+)$/.test(s)) {
      const neg = s.startsWith("-");
      const body = s.replace(/^[+-]/, "");
      const n = /^0[0-7]+$/.test(body) ? parseInt(body, 8) : body.startsWith("0o") || body.startsWith("0O") ? parseInt(body.slice(2), 8) : Number(body);
      return neg ? -n : n;
    }
  }
  return 0;
}

/** cast.ToFloat64. */
export function toFloat(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  return 0;
}

/** Sprig's `empty`: the zero value of its type. */
export function isEmpty(v: unknown): boolean {
  return !isTrue(v);
}

/** A list argument (Sprig accepts slices and arrays; nil is an empty list). */
export function asList(v: unknown, fn: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  throw new Error(`Cannot find ${fn} on type ${typeName(v)}`);
}

/** A `string` parameter: Go refuses any other type before calling the function. */
export function str(v: unknown): string {
  if (typeof v === "string") return v;
  throw new Error(`wrong type for value; expected string; got ${typeName(v)}`);
}

/** An `int` parameter. */
export function int(v: unknown): number {
  if (isInt(v)) return v;
  throw new Error(`wrong type for value; expected int; got ${typeName(v)}`);
}
