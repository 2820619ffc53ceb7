import { SwitchboardError } from '../errors.ts';

const PLACEHOLDER = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

/**
 * Resolves `${VAR}` and `${VAR:-default}` in every string of a channel definition (deeply), from
 * `env`. A placeholder without default whose variable is unset raises CONFIG_INVALID naming it.
 */
export function interpolateEnv<T>(value: T, env: NodeJS.ProcessEnv, where = ''): T {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new SwitchboardError('CONFIG_INVALID', `${where || 'value'}: environment variable ${name} is not set`);
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${where}[${i}]`)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, where ? `${where}.${k}` : k);
    return out as T;
  }
  return value;
}
