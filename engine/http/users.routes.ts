import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { SwitchboardError } from '../errors.ts';
import type { AuthService } from '../security/auth-service.ts';
import { toUserView } from '../security/auth-records.ts';
import { Role } from '../security/roles.ts';
import { storeCall } from '../store/store-call.ts';
import { principalOf, sourceIp } from './access.ts';
import { sendProblem } from './problem.ts';

const RoleSchema = Type.Union(Object.values(Role).map((r) => Type.Literal(r)));
const Channels = Type.Union([Type.Literal('*'), Type.Array(Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), { maxItems: 200 })]);
const CreateUser = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$' }),
    password: Type.String({ maxLength: 256 }),
    role: RoleSchema,
    channels: Channels,
    phi: Type.Boolean(),
  },
  { additionalProperties: false },
);
const UpdateUser = Type.Object(
  {
    password: Type.Optional(Type.String({ maxLength: 256 })),
    role: Type.Optional(RoleSchema),
    channels: Type.Optional(Channels),
    phi: Type.Optional(Type.Boolean()),
    unlock: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(
      Type.Boolean({ description: 'true: no sign-in, and the user’s sessions and tokens end; false: enabled again.' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

/**
 * User administration (permission `users:admin`): list, create, change role, channel scope, PHI
 * permission or password, unlock, disable or enable, delete (the changes through AuthService, as
 * `switchboard users` makes them). Every change is audited with what changed (never a
 * password); a password change or a deletion ends the user's sessions and tokens.
 */
export const userRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  listAndCreateRoutes(app, deps);
  changeAndDeleteRoutes(app, deps);
};

type Deps = { auth: AuthService; audit: AuditLog };

const access = { access: 'users:admin' } as const;

/** `GET /api/users` and `POST /api/users`. */
function listAndCreateRoutes(app: FastifyInstance, { auth }: Deps): void {
  app.get(
    '/api/users',
    {
      config: access,
      schema: {
        summary: 'List users',
        description: 'Every user with role, channel scope, PHI permission and lock state; never a password hash.',
      },
    },
    async () => ({ items: (await storeCall(() => auth.users.find({}, { sort: { _id: 1 } }).toArray(), 'users.list')).map(toUserView) }),
  );

  app.post<{ Body: Static<typeof CreateUser> }>(
    '/api/users',
    {
      config: access,
      schema: {
        summary: 'Create a user',
        description: '201 with the user. The password must meet the password policy. Audited.',
        body: CreateUser,
      },
    },
    async (request, reply) => {
      return reply.code(201).send(await auth.createUser(request.body, principalOf(request).username));
    },
  );
}

/** `PATCH /api/users/:username` and `DELETE /api/users/:username`. */
function changeAndDeleteRoutes(app: FastifyInstance, { auth, audit }: Deps): void {
  app.patch<{ Params: { username: string }; Body: Static<typeof UpdateUser> }>(
    '/api/users/:username',
    {
      config: access,
      schema: {
        summary: 'Change a user',
        description:
          'Role, channel scope, PHI permission, password, unlock, or disabled; audited with what changed (never the password). A new ' +
          'password, or disabling, ends the user’s sessions and tokens; a disabled user cannot sign in.',
        body: UpdateUser,
      },
    },
    async (request) => {
      return auth.updateUser(request.params.username, request.body, {
        username: principalOf(request).username,
        sourceIp: sourceIp(request),
      });
    },
  );

  app.delete<{ Params: { username: string } }>(
    '/api/users/:username',
    { config: access, schema: { summary: 'Delete a user', description: '204; ends their sessions and tokens. 409 for oneself. Audited.' } },
    async (request, reply) => {
      const { username } = request.params;
      if (username === principalOf(request).username)
        return sendProblem(reply, new SwitchboardError('CONFLICT'), 'you cannot delete yourself');
      const res = await storeCall(() => auth.users.deleteOne({ _id: username }), 'users.delete');
      if (res.deletedCount !== 1) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no such user');
      await auth.revokeAll(username);
      await audit.append({
        actor: principalOf(request).username,
        action: AuditAction.userDelete,
        outcome: 'success',
        target: `user:${username}`,
        sourceIp: sourceIp(request),
      });
      return reply.code(204).send();
    },
  );
}
