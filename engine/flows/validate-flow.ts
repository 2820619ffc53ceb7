import { TypeCompiler } from '@sinclair/typebox/compiler';
import { interpolateEnv } from '../config/interpolate.ts';
import { parseConnectorConfig } from '../connector-config.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { canonicalModels } from '../../transforms/canonical/index.ts';
import { modelFields } from '../../transforms/mapping/model-fields.ts';
import { FlowSchema, type FlowDefinition, type FlowStepDefinition, type FlowValue } from './flow-schema.ts';
import { StepKind } from './flow-states.ts';

/** One problem with a flow: a JSON pointer into it and what is wrong, naming the step or field. */
export interface FlowProblem {
  path: string;
  message: string;
}

const checkShape = TypeCompiler.Compile(FlowSchema);

/**
 * Everything wrong with a flow, or nothing; run when a flow is loaded or saved, so a bad one never
 * runs. Checks its shape, then: step ids unique; `dependsOn` names known steps and the steps form no
 * cycle (the cycle is named); `call` and `lookup` steps name a destination connector whose settings
 * its schema accepts (placeholders read from `env`), `map` steps none; the trigger's model exists; every reference names a field of
 * the trigger's model (`event.…`) or a declared output of a step it depends on, directly or not
 * (`steps.<id>.<field>`), so a step never reads what may not be there yet; request field names nest
 * (no empty part, no field both a value and the object of another).
 */
export function validateFlow(flow: unknown, o: { connectors: ConnectorRegistry; env: NodeJS.ProcessEnv }): FlowProblem[] {
  if (!checkShape.Check(flow)) return [...checkShape.Errors(flow)].slice(0, 20).map((e) => ({ path: e.path || '/', message: e.message }));
  const f = flow as FlowDefinition;
  const problems: FlowProblem[] = [];
  const ids = new Map<string, number>();
  f.steps.forEach((s, i) => {
    if (ids.has(s.id)) problems.push({ path: `/steps/${i}/id`, message: `step ${s.id} is declared twice` });
    ids.set(s.id, i);
  });
  f.steps.forEach((s, i) =>
    s.dependsOn.forEach((d, j) => {
      if (!ids.has(d)) problems.push({ path: `/steps/${i}/dependsOn/${j}`, message: `step ${s.id} depends on unknown step ${d}` });
    }),
  );
  const cycle = findCycle(f.steps);
  if (cycle) problems.push({ path: '/steps', message: `the steps form a cycle (each depends on the next): ${cycle.join(' → ')}` });
  const schema = [...canonicalModels.values()].find((m) => m.title === f.trigger.model);
  if (!schema) problems.push({ path: '/trigger/model', message: `no canonical model ${f.trigger.model}` });
  if (problems.length > 0) return problems;
  const eventFields = modelFields(schema!).map((m) => m.path);
  const ancestors = ancestorsOf(f.steps);
  f.steps.forEach((s, i) => problems.push(...checkStep(s, i, { ...o, eventFields, ancestors, steps: f.steps })));
  (f.keys ?? []).forEach((key, i) => {
    if (!eventFields.some((e) => e === key)) problems.push({ path: `/keys/${i}`, message: `key ${key}: the event has no field ${key}` });
  });
  return problems;
}

type StepContext = {
  connectors: ConnectorRegistry;
  env: NodeJS.ProcessEnv;
  eventFields: readonly string[];
  ancestors: ReadonlyMap<string, ReadonlySet<string>>;
  steps: readonly FlowStepDefinition[];
};

function checkStep(s: FlowStepDefinition, i: number, o: StepContext): FlowProblem[] {
  const at = `/steps/${i}`;
  const problems: FlowProblem[] = [];
  if (s.kind === StepKind.map && s.connector)
    problems.push({ path: `${at}/connector`, message: `step ${s.id} maps: it calls no connector` });
  if (s.kind !== StepKind.map && !s.connector)
    problems.push({ path: `${at}/connector`, message: `step ${s.id} (${s.kind}) names no connector` });
  if (s.connector) problems.push(...checkConnector(s.connector, `${at}/connector`, s.id, o));
  if (s.compensation) problems.push(...checkConnector(s.compensation.connector, `${at}/compensation/connector`, s.id, o));
  const readable = (ref: string, own: boolean) => referenceProblem(ref, s, own, o);
  for (const { field, why } of fieldNameProblems(Object.keys(s.request)))
    problems.push({ path: `${at}/request/${field}`, message: `step ${s.id}, ${field}: ${why}` });
  for (const { field, why } of fieldNameProblems(Object.keys(s.compensation?.request ?? {})))
    problems.push({ path: `${at}/compensation/request/${field}`, message: `step ${s.id} compensation, ${field}: ${why}` });
  for (const [field, value] of Object.entries(s.request)) {
    const why = 'ref' in value ? readable(value.ref, false) : undefined;
    if (why) problems.push({ path: `${at}/request/${field}`, message: `step ${s.id}, ${field}: ${why}` });
  }
  for (const [field, value] of Object.entries(s.compensation?.request ?? {})) {
    const why = 'ref' in (value as FlowValue) ? readable((value as { ref: string }).ref, true) : undefined;
    if (why) problems.push({ path: `${at}/compensation/request/${field}`, message: `step ${s.id} compensation, ${field}: ${why}` });
  }
  if (s.when) {
    const why = readable(s.when.ref, false);
    if (why) problems.push({ path: `${at}/when/ref`, message: `step ${s.id}, when: ${why}` });
    const below = s.when.below && 'ref' in s.when.below ? readable(s.when.below.ref, false) : undefined;
    if (below) problems.push({ path: `${at}/when/below`, message: `step ${s.id}, when: ${below}` });
  }
  return problems;
}

/**
 * Why request fields cannot be nested as named (resolveRequest nests dotted ones): an empty part of a
 * dotted name, or a field set both as a value and as the object of another (`name` and `name.formatted`).
 */
function fieldNameProblems(fields: readonly string[]): { field: string; why: string }[] {
  const problems: { field: string; why: string }[] = [];
  for (const field of fields) {
    if (field.split('.').includes('')) problems.push({ field, why: 'a dotted name with an empty part' });
    const inner = fields.find((f) => f.startsWith(`${field}.`));
    if (inner) problems.push({ field, why: `set as a value and as the object of ${inner}` });
  }
  return problems;
}

/** The connector exists and takes its settings (`${VAR:-default}` placeholders read from `env`, as channels' are). */
function checkConnector(c: { kind: string; config: Record<string, unknown> }, path: string, step: string, o: StepContext) {
  const definition = o.connectors.destination(c.kind);
  if (!definition) return [{ path: `${path}/kind`, message: `step ${step} names unknown connector ${c.kind}` }];
  try {
    parseConnectorConfig(definition, interpolateEnv(c.config, o.env, `step ${step}`), `step ${step}`);
    return [];
  } catch (err) {
    return [{ path: `${path}/config`, message: (err as Error).message }];
  }
}

/** Why `step` may not read `ref`, or undefined. `own`: a compensation, which may read its own step's outputs too. */
function referenceProblem(ref: string, step: FlowStepDefinition, own: boolean, o: StepContext): string | undefined {
  const [root, ...rest] = ref.split('.');
  if (root === 'event') {
    const path = rest.join('.');
    return o.eventFields.some((f) => f === path || f.startsWith(`${path}.`)) ? undefined : `the event has no field ${path}`;
  }
  const [source, ...field] = rest;
  const target = o.steps.find((s) => s.id === source);
  if (!target) return `no step ${source}`;
  if (!(own && source === step.id) && !o.ancestors.get(step.id)!.has(source!))
    return `reads step ${source}, which it does not depend on (it may not have run)`;
  const name = field.join('.');
  return target.outputs.some((out) => out === name || name.startsWith(`${out}.`)) ? undefined : `step ${source} declares no output ${name}`;
}

/** The first cycle of `dependsOn`: step ids, each depending on the next, back to the first; or undefined. */
export function findCycle(steps: readonly FlowStepDefinition[]): string[] | undefined {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const d of deps.get(id) ?? []) {
      const found = visit(d);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of steps) {
    const found = visit(s.id);
    if (found) return found;
  }
  return undefined;
}

/** Every step each step depends on, directly or not (the steps form no cycle). */
function ancestorsOf(steps: readonly FlowStepDefinition[]): Map<string, Set<string>> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const memo = new Map<string, Set<string>>();
  const of = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const all = new Set<string>();
    for (const d of byId.get(id)?.dependsOn ?? []) for (const x of [d, ...of(d)]) all.add(x);
    memo.set(id, all);
    return all;
  };
  for (const s of steps) of(s.id);
  return memo;
}
