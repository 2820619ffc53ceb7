/**
 * A peer's HTTP answer body read as data, for DeliveryResult.output: a JSON object as it is; any
 * other JSON value (an array, a string, a number, true/false/null) wrapped as `{ value }`; an empty
 * or non-JSON body gives no output. `id` is the answer's `idField` (string or number, as text) when
 * the answer is an object that holds one: the peer's id for what it created or found.
 */
export function readJsonAnswer(text: string, idField: string): { output?: Record<string, unknown>; id?: string } {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { output: { value } };
  const output = value as Record<string, unknown>;
  const id = output[idField];
  return typeof id === 'string' || typeof id === 'number' ? { output, id: String(id) } : { output };
}
