import type { Transform } from '../dsl/define-transform.ts';
import type { MappingDefinition } from './mapping-definition.ts';

/**
 * A compiled transform (a shipped TypeScript one, or a data mapping) in the data form an analyst
 * edits: each row's expression is its canonical text (`describe`), which the mapping language
 * parses back into the same expression. `switchboard mappings export` writes it; the test
 * tests/unit/mapping-export.test.ts proves the round trip gives identical output on every fixture.
 */
export function exportTransform(t: Transform, fixtures: MappingDefinition['fixtures'] = []): MappingDefinition {
  return {
    id: t.id,
    description: t.description,
    model: t.model,
    modelVersion: t.modelVersion,
    input: t.input,
    accepts: [...t.accepts],
    ...(t.forEachSpec ? { forEach: t.forEachSpec } : {}),
    fields: Object.fromEntries(t.rows.map((r) => [r.target, { expr: r.source, required: r.required }])),
    fixtures,
  };
}
