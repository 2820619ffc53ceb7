import type { EngineConfig } from '../../engine/config/config.ts';
import type { ExecutionContext } from 'ava';
import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import onboarding from '../../flows/onboarding.flow.ts';
import type { FlowDefinition } from '../../engine/flows/flow-schema.ts';
import { flowPeerEnv, startFlowPeers, type FlowPeers } from '../../peers/flow-peers.ts';
import { startTestEngine, TEST_ENCRYPTION, type TestEngine } from './harness.ts';

/** The bearer token of the FHIR channel in these tests. */
export const FHIR_TOKEN = 'onboarding-test-token-0123456789';

/** A clinician taking up a role as the EHR's FHIR PractitionerRole (shaped as ../shared/fhir-samples/practitionerrole-onboarding.json). */
export function practitionerRole(o: {
  practitioner: string;
  name: string;
  active?: boolean;
  costCenter?: string;
}): Record<string, unknown> {
  return {
    resourceType: 'PractitionerRole',
    active: o.active ?? true,
    practitioner: { reference: `Practitioner/${o.practitioner}`, display: o.name },
    organization: { display: 'Internal Medicine Department' },
    code: [{ coding: [{ system: 'http://nucc.org/provider-taxonomy', code: '207R00000X', display: 'Internal Medicine' }] }],
    specialty: [{ text: 'Hospitalist' }],
    period: { start: '2026-04-01' },
    extension: [{ url: 'urn:genhosp:cost-center', valueString: o.costCenter ?? 'COSTCTR-2100' }],
  };
}

/** The onboarding flow with a fast retry on every step, for tests. */
export function fastOnboarding(retry = { attempts: 4, initialDelayMs: 50, maxDelayMs: 300 }): FlowDefinition {
  return { ...onboarding, steps: onboarding.steps.map((s) => ({ ...s, retry })) };
}

/** Where the onboarding flow's steps (and the channel's ERP destination) reach the development peers. */
export function onboardingEnv(peers: FlowPeers): NodeJS.ProcessEnv {
  return { ...process.env, FHIR_API_TOKEN: FHIR_TOKEN, ...flowPeerEnv(peers) };
}

export interface OnboardingSetup {
  peers: FlowPeers;
  engine: TestEngine;
  /** POSTs a resource to the shipped FHIR channel (`/fhir/ehr-fhir/<type>`); the status and body. */
  post(resource: Record<string, unknown>): Promise<{ status: number; body: string }>;
}

/** The development peers and an engine running the shipped FHIR channel with the onboarding flow; both closed at the test's end. */
export async function startOnboarding(
  t: ExecutionContext,
  o: { flow?: FlowDefinition; config?: Partial<EngineConfig> } = {},
): Promise<OnboardingSetup> {
  const peers = await startFlowPeers();
  t.teardown(() => peers.close());
  const engine = await startTestEngine({
    channels: [ehrFhir],
    flows: [o.flow ?? fastOnboarding()],
    env: onboardingEnv(peers),
    security: TEST_ENCRYPTION,
    ...(o.config ? { config: o.config } : {}),
  });
  t.teardown(() => engine.close());
  const post = async (resource: Record<string, unknown>) => {
    const res = await engine.engine.http!.inject({
      method: 'POST',
      url: `/fhir/ehr-fhir/${String(resource.resourceType)}`,
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${FHIR_TOKEN}` },
      payload: JSON.stringify(resource),
    });
    return { status: res.statusCode, body: res.body };
  };
  return { peers, engine, post };
}
