/**
 * Roles and permissions of the admin API. A user has one role, optionally scoped to channels, and
 * separately may or may not see PHI (without it, message views and search results are masked).
 * Every admin route declares the one permission it needs (see http/access.ts); this table is the
 * whole policy, and tests/e2e/authz-matrix.test.ts checks every route against it for every role.
 */
export const Role = {
  admin: 'admin',
  analyst: 'analyst',
  support: 'support',
  auditor: 'auditor',
  viewer: 'viewer',
  /** For a Prometheus scraper's API token: reads /metrics and nothing else. */
  monitor: 'monitor',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export const Permission = {
  messagesRead: 'messages:read',
  messagesReroute: 'messages:reroute',
  deliveriesRead: 'deliveries:read',
  deliveriesReplay: 'deliveries:replay',
  transformsRead: 'transforms:read',
  transformsTest: 'transforms:test',
  channelsRead: 'channels:read',
  /** Save channel versions, validate, deploy, undeploy, pause, resume, roll back. */
  channelsWrite: 'channels:write',
  /** Lookup tables: list, versions, diffs, CSV export, and which channels use a table. */
  tablesRead: 'tables:read',
  /** Save and import lookup table versions. */
  tablesWrite: 'tables:write',
  /** Process flows: their definitions, instances and each step's state, request and answer (masked without PHI). */
  flowsRead: 'flows:read',
  /** Retry, skip or abort a flow instance's steps (each audited). */
  flowsOperate: 'flows:operate',
  auditRead: 'audit:read',
  usersAdmin: 'users:admin',
  /** The Prometheus exposition at /metrics: counts and queue depths by channel, destination and code; no PHI. */
  metricsRead: 'metrics:read',
  /** Alerts pending and firing, their history, the rules and silences: whoever sees the console's pages sees what is wrong. */
  alertsRead: 'alerts:read',
  /**
   * Alert rules (save, deploy, enable, disable, import) and silences: admin and support, who operate
   * the engine and answer its alerts at night (a silence is their act, with a reason); analysts
   * build channels and mappings, and read alerts.
   */
  alertsWrite: 'alerts:write',
  /** Ask for a pruning run now (issue 25; its record is read with audit:read). */
  retentionRun: 'retention:run',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

/** Anyone (health, sign-in) or any signed-in user (their own session and tokens); else a permission. */
export const Access = { public: 'public', authenticated: 'authenticated', ...Permission } as const;
export type Access = (typeof Access)[keyof typeof Access];

const P = Permission;
export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: Object.values(Permission),
  analyst: [
    P.messagesRead,
    P.deliveriesRead,
    P.transformsRead,
    P.transformsTest,
    P.channelsRead,
    P.channelsWrite,
    P.tablesRead,
    P.tablesWrite,
    P.flowsRead,
    P.alertsRead,
  ],
  support: [
    P.messagesRead,
    P.messagesReroute,
    P.deliveriesRead,
    P.deliveriesReplay,
    P.transformsRead,
    P.channelsRead,
    P.tablesRead,
    P.flowsRead,
    P.flowsOperate,
    P.alertsRead,
    P.alertsWrite,
  ],
  auditor: [P.auditRead],
  viewer: [P.messagesRead, P.deliveriesRead, P.transformsRead, P.channelsRead, P.tablesRead, P.flowsRead, P.alertsRead],
  monitor: [P.metricsRead],
};

/** Who is making a request, once authenticated. */
export interface Principal {
  username: string;
  role: Role;
  /** Channels this user may see and act on; `*` for all. */
  channels: '*' | readonly string[];
  /** May see patient data unmasked. */
  phi: boolean;
  /** How they came: a console session, an API token, or the `switchboard` command line (engine/cli/). */
  via: 'session' | 'token' | 'cli';
}

export function hasPermission(p: Principal, permission: Permission): boolean {
  return rolePermissions[p.role].includes(permission);
}

/** Whether the user's channel scope includes `channelId`. */
export function inScope(p: Principal, channelId: string): boolean {
  return p.channels === '*' || p.channels.includes(channelId);
}
