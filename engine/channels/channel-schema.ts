import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ChannelDefinition } from '../channel.ts';
import { interpolateEnv } from '../config/interpolate.ts';
import { parseConnectorConfig } from '../connector-config.ts';
import { assertHostsAllowed } from '../security/host-allowlist.ts';
import { compileCondition, type Condition } from '../../transforms/dsl/predicate.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { DataClass } from '../../transforms/canonical/data-class.ts';
import { isCanonicalModelName } from '../../transforms/canonical/index.ts';
import { ConditionSchema } from '../../transforms/dsl/condition-schema.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { searchFieldProblems, SearchFieldsSchema } from './search-fields.ts';
import { ChannelRetentionSchema } from '../ops/retention/retention-rules.ts';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and dashes' });

/** A source: its connector's kind, and that connector's own settings (checked against its declared schema). */
const Source = Type.Object({ kind: Type.String({ minLength: 1 }) }, { additionalProperties: true });

const Destination = Type.Object(
  {
    id: Id,
    kind: Type.String({ minLength: 1 }),
    config: Type.Record(Type.String(), Type.Unknown()),
    models: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    retry: Type.Optional(
      Type.Object(
        {
          attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          initialDelayMs: Type.Optional(Type.Integer({ minimum: 1 })),
          maxDelayMs: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    dataPolicy: Type.Optional(
      Type.Object(
        {
          allow: Type.Array(Type.Union(Object.values(DataClass).map((c) => Type.Literal(c)))),
          pseudonymise: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    ordering: Type.Optional(
      Type.Object(
        { key: Type.String({ minLength: 1 }), onHeadFailure: Type.Union([Type.Literal('block'), Type.Literal('park')]) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A channel as data: what `*.channel.json` files, `switchboard channels import` and the console's editor hold. */
export const ChannelSchema = Type.Object(
  {
    id: Id,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    source: Source,
    accept: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    filter: Type.Optional(ConditionSchema),
    transforms: Type.Array(Type.String({ minLength: 1 })),
    mappings: Type.Optional(
      Type.Array(
        Type.Object({ id: Type.String({ minLength: 1 }), version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        {
          description: 'data mappings (issue 23), each at the exact version this channel version runs',
        },
      ),
    ),
    tables: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), Type.Integer({ minimum: 1 }), {
        description: 'the exact version of each lookup table its mappings read',
      }),
    ),
    destinations: Type.Array(Destination),
    maxEventsPerMessage: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: 'most canonical events one message may make; more is refused (AR). Default 500.',
      }),
    ),
    searchFields: SearchFieldsSchema,
    retention: Type.Optional(ChannelRetentionSchema),
  },
  { additionalProperties: false, $id: 'Channel' },
);

export interface ChannelProblem {
  /** JSON pointer into the channel, e.g. `/destinations/0/config/baseUrl`. */
  path: string;
  message: string;
}

/**
 * Everything wrong with a channel, or nothing: shape (the schema), then meaning: known transforms and connector kinds, the source's
 * settings against its connector's declared schema, each destination's models among those its connector declares it can send (`mllp-out`
 * maps only ChargeEvent and EncounterEvent: any other would dead-letter every message), its settings against the connector's declared
 * schema (after `${VAR}` placeholders are resolved from `env`), hosts on the allow-list, unique destination ids, a filter that compiles,
 * search fields whose HL7v2 path or FHIRPath compiles (search-fields.ts).
 * Never throws; the messages name fields, not secret values.
 */
export function validateChannel(o: {
  channel: unknown;
  connectors: ConnectorRegistry;
  transforms: ReadonlyMap<string, Transform>;
  env: NodeJS.ProcessEnv;
  allowedHosts: readonly string[];
}): ChannelProblem[] {
  const shape = [...Value.Errors(ChannelSchema, o.channel)].slice(0, 20).map((e) => ({ path: e.path || '/', message: e.message }));
  if (shape.length > 0) return shape;
  const channel = o.channel as ChannelDefinition;
  const problems: ChannelProblem[] = [];
  channel.transforms.forEach((id, i) => {
    if (!o.transforms.has(id)) problems.push({ path: `/transforms/${i}`, message: `no transform ${id}` });
  });
  if (channel.filter) {
    try {
      compileCondition(channel.filter as Condition);
    } catch (err) {
      problems.push({ path: '/filter', message: `does not compile: ${(err as Error).message}` });
    }
  }
  sourceProblems(channel, o, problems);
  problems.push(...searchFieldProblems(channel.searchFields));
  const seen = new Set<string>();
  channel.destinations.forEach((d, i) => {
    const at = `/destinations/${i}`;
    if (seen.has(d.id)) problems.push({ path: `${at}/id`, message: `destination id ${d.id} appears twice` });
    seen.add(d.id);
    const definition = o.connectors.destination(d.kind);
    if (!definition) return problems.push({ path: `${at}/kind`, message: `no connector ${d.kind}` });
    d.models.forEach((model, j) => {
      if (!isCanonicalModelName(model)) problems.push({ path: `${at}/models/${j}`, message: `no canonical model ${model}` });
      else if (!definition.models.includes(model))
        problems.push({ path: `${at}/models/${j}`, message: `${d.kind} cannot send ${model}; it sends ${definition.models.join(', ')}` });
    });
    try {
      const config = interpolateEnv(d.config, o.env, `${at}/config`);
      parseConnectorConfig(definition, config, `${at}/config`);
      assertHostsAllowed({ where: `${at}/config`, config, allow: o.allowedHosts });
    } catch (err) {
      problems.push({ path: `${at}/config`, message: (err as Error).message });
    }
    return undefined;
  });
  return problems;
}

/** The source's kind among the connectors, and its settings (placeholders resolved from `env`) against its schema. */
function sourceProblems(
  channel: ChannelDefinition,
  o: { connectors: ConnectorRegistry; env: NodeJS.ProcessEnv },
  problems: ChannelProblem[],
): void {
  const { kind, ...settings } = channel.source;
  const definition = o.connectors.source(kind);
  if (!definition) return void problems.push({ path: '/source/kind', message: `no source connector ${kind}` });
  try {
    parseConnectorConfig(definition, interpolateEnv(settings, o.env, '/source'), '/source');
  } catch (err) {
    problems.push({ path: '/source', message: (err as Error).message });
  }
}
