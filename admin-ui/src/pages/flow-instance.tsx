import type { ComponentChildren } from 'preact';
import type { Me } from '../api.ts';
import { AbortFlow } from '../components/abort-flow.tsx';
import { InstanceFacts } from '../components/instance-facts.tsx';
import { StepActions } from '../components/step-actions.tsx';
import { StepGraph } from '../components/step-graph.tsx';
import { isMoving, isOpen, type InstanceDetail, type StepDetail } from '../flow-types.ts';
import { useApi, useInterval } from '../hooks.ts';
import { Badge, ErrorNote, json, Page, when } from '../ui.tsx';

/** How often an instance with a step still moving by itself is read again. */
const REFRESH_MS = 2000;

/** One step in full: its timing, the request its last attempt sent and the answer, and the operator's actions on it. */
function StepSection({ stepId, s, actions }: { stepId: string; s: StepDetail; actions: ComponentChildren }) {
  return (
    <section class="step-detail" aria-labelledby={`step-title-${stepId}`}>
      <h3 id={`step-title-${stepId}`}>
        {stepId} <Badge value={s.status} />
      </h3>
      <p class="muted">
        {s.attempts} {s.attempts === 1 ? 'attempt' : 'attempts'}
        {s.startedAt && `, last started ${when(s.startedAt)}`}
        {s.durationMs !== undefined && `, ${s.durationMs} ms`}
      </p>
      {actions}
      <div class="step-io">
        <div>
          <h4>Request sent</h4>
          {s.request ? (
            <pre class="code step-request">{json(s.request)}</pre>
          ) : (
            <p class="empty">{s.status === 'done' ? 'Nothing sent (its condition did not hold).' : 'None yet.'}</p>
          )}
        </div>
        <div>
          <h4>Answer</h4>
          {s.output ? <pre class="code step-output">{json(s.output)}</pre> : <p class="empty">None.</p>}
        </div>
      </div>
    </section>
  );
}

/**
 * One flow instance: its facts, its steps as a graph by dependency, each step's request and answer
 * (masked as the API gives them), and for those who may operate, retry and skip on a failed step
 * and abort of the flow. Read again after each action, and every 2 s while a step still moves by itself.
 */
export function FlowInstance({ id, me }: { id: string; me: Me }) {
  const { data: i, error, reload, loading } = useApi<InstanceDetail>(`/api/flows/instances/${encodeURIComponent(id)}`);
  const moving = i !== undefined && (i.status === 'aborting' || Object.values(i.steps).some((s) => isMoving(s.status)));
  useInterval(reload, REFRESH_MS, moving);
  const operable = i !== undefined && i.canOperate && isOpen(i.status);
  /** An abort whose compensation was refused may be asked again (after a fix): the compensations run again. */
  const compensationFailed = i?.status === 'aborting' && Object.values(i.steps).some((s) => s.compensationError);

  return (
    <Page
      title={`Flow instance ${id}`}
      actions={
        <button type="button" class="secondary" onClick={reload} disabled={loading}>
          Refresh
        </button>
      }
    >
      <p>
        <a href="/flows">← Flows</a>
      </p>
      <ErrorNote error={error} />
      {i && (
        <>
          <InstanceFacts i={i} me={me} refreshMs={moving ? REFRESH_MS : undefined} />
          {!i.phi && <p class="note">Patient data is masked (***): your account does not have the PHI permission.</p>}
          {i.canOperate && (operable || compensationFailed) && <AbortFlow instance={i} onDone={reload} />}
          <h2>Steps</h2>
          <StepGraph flow={i.flow} steps={i.steps} />
          {i.flow.steps.map((step) => {
            const s = i.steps[step.id];
            if (!s) return null;
            const actionable = operable && (s.status === 'dead' || s.status === 'parked' || s.status === 'retrying');
            return (
              <StepSection
                key={step.id}
                stepId={step.id}
                s={s}
                actions={actionable && <StepActions instanceId={i.id} stepId={step.id} status={s.status} onDone={reload} />}
              />
            );
          })}
        </>
      )}
    </Page>
  );
}
