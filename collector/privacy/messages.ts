/**
 * A JSON parse error without the text around the fault. V8's messages quote a slice of the input
 * ("Unexpected token 'x', "{"email": x..." is not valid JSON"), and these messages travel into
 * partial_success, logs and the dead_letters table: the slice could hold a value a privacy rule
 * removes. Keep only where the fault is.
 */
export function jsonErrorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const at = /position (\d+)/.exec(msg);
  if (at) return `invalid JSON at position ${at[1]}`;
  if (/end of JSON input/i.test(msg)) return 'invalid JSON: unexpected end of input';
  return 'invalid JSON';
}
