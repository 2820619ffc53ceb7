import { SwitchboardError } from '../../engine/errors.ts';

/** `{name}` in a URL template: a top-level field of the event. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The http(s) URL template of an HTTP destination: `{placeholders}` may stand only after the host
 * (in the path or query), so no event can change where a request goes.
 */
export const URL_TEMPLATE_PATTERN = '^https?://[^/?#{}]+([/?#].*)?$';

/**
 * `template` with each `{name}` replaced by the event's top-level string field `name`,
 * URL-encoded (encodeURIComponent). A placeholder whose field is absent, empty or not a string is
 * CANONICAL_INVALID (permanent: the same event never fills it); the detail names the field, never a value.
 */
export function fillUrl(template: string, event: Record<string, unknown>): URL {
  const url = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = event[name];
    if (typeof value !== 'string' || value === '')
      throw new SwitchboardError('CANONICAL_INVALID', `URL placeholder {${name}}: the event has no string field ${name}`);
    return encodeURIComponent(value);
  });
  return new URL(url);
}
