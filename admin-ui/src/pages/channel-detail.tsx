import { useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api.ts';
import { DefinitionDiff, type DefinitionChange } from '../components/definition-diff.tsx';
import { DeployRefused } from '../components/deploy-refused.tsx';
import { TrafficPreview } from '../components/traffic-preview.tsx';
import { useApi, useInterval } from '../hooks.ts';
import { useLocation } from '../router.ts';
import { Badge, ErrorNote, json, Page, when } from '../ui.tsx';
import type { ChannelItem } from './channels.tsx';
import { VersionsTable } from '../components/versions-table.tsx';

interface Version {
  version: number;
  origin: string;
  author: string;
  comment: string | null;
  at: string;
}

interface Diff {
  from: number;
  to: number;
  changes: DefinitionChange[];
}

/** One channel: state and lifecycle (deploy, pause, resume, undeploy), its versions with diffs and rollback, its definition. */
export function ChannelDetail({ id, me }: { id: string; me: Me }) {
  const saved = useLocation().searchParams.get('saved');
  const base = `/api/channels/${encodeURIComponent(id)}`;
  const channel = useApi<{ state: string; deployedVersion: number | null; latest: Version; definition: unknown }>(base);
  const list = useApi<{ items: ChannelItem[] }>('/api/channels');
  const versions = useApi<{ items: Version[] }>(`${base}/versions`);
  const [diff, setDiff] = useState<Diff>();
  const [error, setError] = useState<Error>();
  const [refused, setRefused] = useState<{ version: number; detail: string }>();
  const reload = () => (channel.reload(), list.reload(), versions.reload());
  useInterval(list.reload, 3000);
  const item = list.data?.items.find((c) => c.id === id);
  const c = channel.data;
  const canWrite = me.permissions.includes('channels:write');

  const act = (action: string, body?: { version?: number; override?: string }) =>
    api('POST', `${base}/${action}`, body ?? {}).then(
      () => (setError(undefined), setRefused(undefined), reload()),
      (err: Error) =>
        action === 'deploy' && err instanceof ApiError && err.status === 409 && body?.version !== undefined
          ? setRefused({ version: body.version, detail: err.message })
          : setError(err),
    );
  const showDiff = (v: number) => api<Diff>('GET', `${base}/diff?from=${v - 1}&to=${v}`).then(setDiff, setError);
  const rollback = (v: number) => confirm(`Save version ${v} as the newest and deploy it?`) && void act('rollback', { version: v });

  return (
    <Page
      title={`Channel ${id}`}
      actions={
        canWrite &&
        c && (
          <div class="actions">
            {(c.state === 'undeployed' || c.deployedVersion !== c.latest.version) && (
              <button onClick={() => void act('deploy', { version: c.latest.version })}>Deploy v{c.latest.version}</button>
            )}
            {c.state === 'deployed' && (
              <button class="secondary" onClick={() => void act('pause')}>
                Pause
              </button>
            )}
            {c.state === 'paused' && <button onClick={() => void act('resume')}>Resume</button>}
            {c.state !== 'undeployed' && (
              <button class="danger" onClick={() => void act('undeploy')}>
                Undeploy
              </button>
            )}
            <a class="button secondary" href={`/channels/${id}/edit`}>
              Edit
            </a>
          </div>
        )
      }
    >
      <p>
        <a href="/channels">← Channels</a> · <a href={`/messages?channel=${id}`}>Messages of {id}</a>
      </p>
      <ErrorNote error={channel.error ?? error} />
      {refused && (
        <DeployRefused
          version={refused.version}
          detail={refused.detail}
          admin={me.role === 'admin'}
          onOverride={(reason) => void act('deploy', { version: refused.version, override: reason })}
        />
      )}
      {saved && c?.latest.version === Number(saved) && c.deployedVersion !== c.latest.version && (
        <p class="ok">Saved version {saved}. It runs once deployed.</p>
      )}
      {c && (
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <Badge value={item?.state ?? c.state} />
          </dd>
          <dt>Deployed</dt>
          <dd>{c.deployedVersion !== null ? `v${c.deployedVersion}` : '—'}</dd>
          <dt>Latest</dt>
          <dd>
            v{c.latest.version} by {c.latest.author}, {when(c.latest.at)}
          </dd>
          <dt>Listening</dt>
          <dd class="mono">{item?.port ? `MLLP port ${item.port}` : '—'}</dd>
        </dl>
      )}
      <h2>Versions</h2>
      <VersionsTable
        versions={versions.data?.items}
        label={(v) => ['v', v.version, c?.deployedVersion === v.version && [' ', <span class="tag">deployed</span>]]}
        actions={(v) => (
          <div class="actions">
            {v.version > 1 && (
              <button class="secondary" onClick={() => void showDiff(v.version)}>
                Diff v{v.version - 1} → v{v.version}
              </button>
            )}
            {canWrite && c && v.version !== c.latest.version && (
              <button class="secondary" onClick={() => rollback(v.version)}>
                Roll back to v{v.version}
              </button>
            )}
          </div>
        )}
      />
      {diff && <DefinitionDiff {...diff} />}
      {c && c.deployedVersion !== null && c.deployedVersion !== c.latest.version && me.permissions.includes('transforms:test') && (
        <TrafficPreview channel={c.definition as { id: string }} />
      )}
      <h2>Definition (secrets masked)</h2>
      {c && <pre class="code">{json(c.definition)}</pre>}
    </Page>
  );
}
