import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, hasCsrfToken, signOut, whenSignedOut, type Me } from './api.ts';
import { match, navigate, useLocation } from './router.ts';
import { Login } from './pages/login.tsx';
import { Dashboard } from './pages/dashboard.tsx';
import { Messages } from './pages/messages.tsx';
import { MessageDetail } from './pages/message-detail.tsx';
import { DeadLetters } from './pages/dead-letters.tsx';
import { TransformBench } from './pages/transforms.tsx';
import { AuditLogPage } from './pages/audit.tsx';
import { Users } from './pages/users.tsx';
import { Channels } from './pages/channels.tsx';
import { ChannelDetail } from './pages/channel-detail.tsx';
import { ChannelEditor } from './pages/channel-editor.tsx';
import { Tables } from './pages/tables.tsx';
import { TableNew } from './pages/table-new.tsx';
import { TableDetail } from './pages/table-detail.tsx';
import { Mappings } from './pages/mappings.tsx';
import { MappingEditor } from './pages/mapping-editor.tsx';
import { Flows } from './pages/flows.tsx';
import { FlowInstance } from './pages/flow-instance.tsx';
import { Alerts } from './pages/alerts.tsx';
import { AlertDetail } from './pages/alert-detail.tsx';
import { AlertRules } from './pages/alert-rules.tsx';
import { AlertRuleDetail } from './pages/alert-rule-detail.tsx';
import { AlertRuleEditor } from './pages/alert-rule-editor.tsx';
import { AlertBanner } from './components/alert-banner.tsx';

interface Route {
  path: string;
  /** Shown in the navigation when set. */
  title?: string;
  permission: string;
  view(params: Record<string, string>, me: Me): ComponentChildren;
}

/** Every page and the permission it needs (the API checks it again; this only hides what would be refused). */
const routes: Route[] = [
  { path: '/dashboard', title: 'Dashboard', permission: 'messages:read', view: (_, me) => <Dashboard me={me} /> },
  { path: '/messages', title: 'Messages', permission: 'messages:read', view: (_, me) => <Messages me={me} /> },
  { path: '/messages/:id', permission: 'messages:read', view: (p, me) => <MessageDetail id={p.id!} me={me} /> },
  { path: '/dead-letters', title: 'Dead letters', permission: 'deliveries:read', view: (_, me) => <DeadLetters me={me} /> },
  { path: '/flows', title: 'Flows', permission: 'flows:read', view: () => <Flows /> },
  { path: '/flows/instances/:id', permission: 'flows:read', view: (p, me) => <FlowInstance id={p.id!} me={me} /> },
  { path: '/channels', title: 'Channels', permission: 'channels:read', view: (_, me) => <Channels me={me} /> },
  { path: '/channels/new', permission: 'channels:write', view: (_, me) => <ChannelEditor me={me} /> },
  { path: '/channels/:id', permission: 'channels:read', view: (p, me) => <ChannelDetail id={p.id!} me={me} /> },
  { path: '/channels/:id/edit', permission: 'channels:write', view: (p, me) => <ChannelEditor id={p.id!} me={me} /> },
  { path: '/mappings', title: 'Mappings', permission: 'transforms:read', view: (_, me) => <Mappings me={me} /> },
  { path: '/mappings/new', permission: 'channels:write', view: (_, me) => <MappingEditor me={me} /> },
  { path: '/mappings/:id', permission: 'transforms:read', view: (p, me) => <MappingEditor id={p.id!} me={me} /> },
  { path: '/tables', title: 'Lookup tables', permission: 'tables:read', view: (_, me) => <Tables me={me} /> },
  { path: '/tables/new', permission: 'tables:write', view: () => <TableNew /> },
  { path: '/tables/:name', permission: 'tables:read', view: (p, me) => <TableDetail name={p.name!} me={me} /> },
  { path: '/transforms', title: 'Transform test bench', permission: 'transforms:read', view: (_, me) => <TransformBench me={me} /> },
  { path: '/alerts', title: 'Alerts', permission: 'alerts:read', view: (_, me) => <Alerts me={me} /> },
  { path: '/alerts/:id', permission: 'alerts:read', view: (p, me) => <AlertDetail id={p.id!} me={me} /> },
  { path: '/alert-rules', title: 'Alert rules', permission: 'alerts:read', view: (_, me) => <AlertRules me={me} /> },
  { path: '/alert-rules/new', permission: 'alerts:write', view: (_, me) => <AlertRuleEditor me={me} /> },
  { path: '/alert-rules/:id', permission: 'alerts:read', view: (p, me) => <AlertRuleDetail id={p.id!} me={me} /> },
  { path: '/alert-rules/:id/edit', permission: 'alerts:write', view: (p, me) => <AlertRuleEditor id={p.id!} me={me} /> },
  { path: '/audit', title: 'Audit log', permission: 'audit:read', view: () => <AuditLogPage /> },
  { path: '/users', title: 'Users', permission: 'users:admin', view: (_, me) => <Users me={me} /> },
];

const allowed = (me: Me) => routes.filter((r) => me.permissions.includes(r.permission));

export function App() {
  const location = useLocation();
  /** undefined while asking the engine who is signed in; null when nobody is. */
  const [me, setMe] = useState<Me | null | undefined>(hasCsrfToken() ? undefined : null);

  const loadMe = () => get<Me>('/api/auth/me').then(setMe, () => setMe(null));
  useEffect(() => {
    whenSignedOut(() => setMe(null));
    if (hasCsrfToken()) void loadMe();
  }, []);

  const path = location.pathname;
  useEffect(() => {
    if (me === null && path !== '/login') navigate(`/login?next=${encodeURIComponent(path + location.search)}`, true);
    if (me && (path === '/login' || path === '/')) {
      const next = location.searchParams.get('next');
      navigate(next?.startsWith('/') && next !== '/' ? next : (allowed(me)[0]?.path ?? '/messages'), true);
    }
  }, [me, path]);

  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null) return <Login onSignedIn={() => void loadMe()} />;

  const found = routes.map((r) => ({ r, params: match(r.path, path) })).find((x) => x.params);
  const permitted = found && me.permissions.includes(found.r.permission);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Switchboard</span>
        <nav aria-label="Main">
          {allowed(me)
            .filter((r) => r.title)
            .map((r) => (
              <a href={r.path} aria-current={path.startsWith(r.path) ? 'page' : undefined}>
                {r.title}
              </a>
            ))}
        </nav>
        <span class="who">
          {me.username} · {me.role}
          {!me.phi && (
            <span class="badge badge-masked" title="Patient data is masked for you">
              PHI masked
            </span>
          )}
        </span>
        <button type="button" class="secondary" onClick={() => void signOut().finally(() => setMe(null))}>
          Sign out
        </button>
      </header>
      {me.permissions.includes('alerts:read') && <AlertBanner />}
      <main id="main" tabIndex={-1}>
        {allowed(me).length === 0 && <p role="alert">Your role ({me.role}) has no pages in the console.</p>}
        {!found && allowed(me).length > 0 && <p>No page here.</p>}
        {found && !permitted && allowed(me).length > 0 && <p role="alert">Your role ({me.role}) may not see this page.</p>}
        {found && permitted && found.r.view(found.params!, me)}
      </main>
    </div>
  );
}
