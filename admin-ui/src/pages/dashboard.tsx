import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, type Me } from '../api.ts';
import { MinuteBars, Sparkline } from '../components/charts.tsx';
import { FlowHealth } from '../components/flow-health.tsx';
import { useInterval } from '../hooks.ts';
import type { MetricsSummary } from '../types.ts';
import { ageText, ErrorNote, Page } from '../ui.tsx';

/** How often the figures are read again, and how many readings each destination's sparklines keep. */
const REFRESH_MS = 5000;
const HISTORY = 36;

const minute = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
const queued = (d: MetricsSummary['destinations'][number]) => d.jobs.waiting + d.jobs.prioritized + d.jobs.delayed;

/**
 * Messages per minute and errors per channel (last 15 minutes), and per destination the queue
 * depth, the age of the oldest waiting job and the failing deliveries. Read again every 5 s; the
 * queue sparklines show the readings since the page was opened. For those who may read flows, per
 * flow its completion rate and its oldest unfinished instance.
 */
export function Dashboard({ me }: { me: Me }) {
  const [summary, setSummary] = useState<MetricsSummary>();
  const [error, setError] = useState<Error>();
  const history = useRef(new Map<string, { depth: number[]; age: number[] }>());
  const refresh = useCallback(() => {
    get<MetricsSummary>('/api/metrics/summary?minutes=15').then((s) => {
      for (const d of s.destinations) {
        const h = history.current.get(queueKey(d)) ?? { depth: [], age: [] };
        h.depth = [...h.depth, queued(d)].slice(-HISTORY);
        h.age = [...h.age, Math.round(d.oldestWaitingSeconds ?? 0)].slice(-HISTORY);
        history.current.set(queueKey(d), h);
      }
      setSummary(s);
      setError(undefined);
    }, setError);
  }, []);
  useEffect(refresh, []);
  useInterval(refresh, REFRESH_MS);

  return (
    <Page
      title="Dashboard"
      actions={
        summary && (
          <p class="muted">
            Updated {new Date(summary.generatedAt).toLocaleTimeString()}; every {REFRESH_MS / 1000} s
          </p>
        )
      }
    >
      <ErrorNote error={error} />
      <div class="cards">
        {summary?.channels.map((c) => {
          const received = c.perMinute.reduce((n, m) => n + m.received, 0);
          const errors = c.perMinute.reduce((n, m) => n + m.errors, 0);
          return (
            <section class="card channel-card" aria-labelledby={`ch-${c.channelId}`}>
              <h2 id={`ch-${c.channelId}`}>{c.channelId}</h2>
              <p class="totals">
                <strong>{received}</strong> received, <strong class={errors ? 'bad' : undefined}>{errors}</strong>{' '}
                {errors === 1 ? 'error' : 'errors'} in {summary.minutes} min
              </p>
              <MinuteBars
                label={`${c.channelId}: messages per minute, errors in red`}
                bars={c.perMinute.map((m) => ({ label: minute(m.at), value: m.received, errors: m.errors }))}
              />
              <p class="statuses">
                {Object.entries(c.byStatus).map(([status, n]) => (
                  <span class={`badge badge-${status}`}>
                    {status} {n}
                  </span>
                ))}
              </p>
            </section>
          );
        })}
      </div>
      {summary?.channels.length === 0 && <p class="empty">No channel in your scope.</p>}
      <h2>Destinations</h2>
      <table class="list destinations">
        <thead>
          <tr>
            <th scope="col">Destination</th>
            <th scope="col">Channel</th>
            <th scope="col">Queued</th>
            <th scope="col">Active</th>
            <th scope="col">Oldest waiting</th>
            <th scope="col">Retrying</th>
            <th scope="col">Dead</th>
            <th scope="col">Failing by error</th>
          </tr>
        </thead>
        <tbody>
          {summary?.destinations.map((d) => {
            const h = history.current.get(queueKey(d));
            return (
              <tr>
                <td>{d.destinationId}</td>
                <td>{d.channelId}</td>
                <td>
                  <Sparkline values={h?.depth ?? [queued(d)]} label={`${d.destinationId} queue depth`} />
                </td>
                <td>{d.jobs.active}</td>
                <td>
                  <Sparkline
                    values={h?.age ?? [0]}
                    label={`${d.destinationId} oldest waiting, seconds`}
                    text={ageText(d.oldestWaitingSeconds)}
                  />
                </td>
                <td>{d.retrying}</td>
                <td>{d.dead}</td>
                <td>
                  {d.errors.map((e) => (
                    <div>
                      {e.status} <code>{e.errorCode}</code> {e.count}
                    </div>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {me.permissions.includes('flows:read') && <FlowHealth refreshMs={REFRESH_MS} />}
    </Page>
  );
}

/** A destination's queue: destination ids are unique within a channel only. */
const queueKey = (d: { channelId: string; destinationId: string }) => `${d.channelId}/${d.destinationId}`;
