import { SwitchboardError } from '../errors.ts';

/**
 * The destination host allow-list (ALLOWED_DESTINATION_HOSTS): against server-side request forgery,
 * a destination may only reach hosts an operator listed. Entries are host names or addresses, or
 * `*.example.org` for any subdomain. Checked when channels load, for every `http(s)://` URL and
 * every `host` field anywhere in a destination's settings, so a new connector is covered without
 * declaring anything.
 */
export function parseAllowList(spec: string): readonly string[] {
  return spec
    .split(',')
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, ''),
    )
    .filter(Boolean);
}

export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return allow.some((a) => a === '*' || a === h || (a.startsWith('*.') && h.endsWith(a.slice(1))));
}

/** Every host a destination's settings name. */
export function hostsIn(config: unknown, key = ''): string[] {
  if (typeof config === 'string') {
    if (/^https?:\/\//i.test(config)) {
      try {
        return [new URL(config).hostname];
      } catch {
        return [];
      }
    }
    return key === 'host' ? [config] : [];
  }
  if (Array.isArray(config)) return config.flatMap((v) => hostsIn(v));
  if (config && typeof config === 'object') return Object.entries(config).flatMap(([k, v]) => hostsIn(v, k));
  return [];
}

/** CONFIG_INVALID naming the destination and the host when one is not allowed. */
export function assertHostsAllowed(o: { where: string; config: unknown; allow: readonly string[] }): void {
  for (const host of hostsIn(o.config)) {
    if (!hostAllowed(host, o.allow))
      throw new SwitchboardError('CONFIG_INVALID', `${o.where}: host ${host} is not in ALLOWED_DESTINATION_HOSTS`);
  }
}
