/**
 * Random text the engine and its peers generate: UUIDv7 message ids, hex ids and digests of 16
 * digits or more (span and trace ids, ObjectIds, SHA-256), keyed search hashes (`h1:` and 43
 * base64url characters), users' scrypt password hashes (salt and hash in base64).
 */
const GENERATED = [
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/,
  /[0-9a-f]{16,}/,
  /h1:[A-Za-z0-9_-]{43}/,
  /scrypt(\$\d+){3}\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+/,
];
const GENERATED_TEXT = new RegExp(GENERATED.map((r) => r.source).join('|'), 'gi');

/**
 * `text` with generated ids blanked to `<id>`, before a test looks for patient values in it. Random
 * text holds a short MRN such as 4711 or 02116 or a three-letter name such as DOE by chance now and
 * then, as CI runs found (GIL with encryption on, where a password hash is the one random value
 * holding capitals), which is not a leak.
 */
export const withoutGeneratedIds = (text: string): string => text.replace(GENERATED_TEXT, '<id>');
