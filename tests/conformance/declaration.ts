import type { ExecutionContext } from 'ava';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * What every connector declaration must hold, source or destination: a title, examples that its
 * config schema accepts, and secrets that name fields of that schema (dotted paths).
 */
export function checkDeclaration(
  t: ExecutionContext,
  d: { title: string; config: TSchema; examples: readonly unknown[]; secrets: readonly string[] },
): void {
  t.truthy(d.title);
  t.true(d.examples.length > 0);
  for (const example of d.examples) t.true(Value.Check(d.config, example), JSON.stringify([...Value.Errors(d.config, example)][0]));
  for (const secret of d.secrets) {
    const field = secret
      .split('.')
      .reduce<{ properties?: Record<string, unknown> } | undefined>((schema, k) => schema?.properties?.[k] as never, d.config as never);
    t.truthy(field, `secret ${secret} is a config field`);
  }
}
