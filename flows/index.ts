/**
 * The process flows Switchboard runs (issue 24), listed once: the wiring file hands this list to the
 * engine, which checks each at start (a bad one stops the start, naming it) and runs it.
 */
import type { FlowDefinition } from '../engine/flows/flow-schema.ts';
import onboarding from './onboarding.flow.ts';
import procedure from './procedure.flow.ts';

export const flows: readonly FlowDefinition[] = [procedure, onboarding];
