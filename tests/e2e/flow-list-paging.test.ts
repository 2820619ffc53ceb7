import test from 'ava';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import type { InstanceSummary } from '../../engine/flows/flow-view.ts';
import type { FlowInstance } from '../../engine/store/flows.store.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { apiCall } from '../support/admin-api.ts';
import { startTestEngine, testChannel, type TestEngine } from '../support/harness.ts';

/**
 * GET /api/flows/instances pages by `before` (issue 24 left the list at its newest page): seven
 * instances, three of one message created at the same instant, walked two at a time. Each comes
 * exactly once, newest first, whatever shares a time; a filter holds across pages.
 */

type Page = { instances: InstanceSummary[]; nextBefore: string | null };

const at = (minutesAgo: number) => new Date(Date.UTC(2026, 11, 7, 12) - minutesAgo * 60_000);

const instance = (messageId: string, index: number, status: FlowStatus, createdAt: Date): FlowInstance => ({
  _id: `${messageId}:paged-flow:${index}`,
  flowId: 'paged-flow',
  flowVersion: 1,
  messageId,
  channelId: 'ehr-mllp',
  eventIndex: index,
  status,
  steps: { only: { status: StepStatus.done, attempts: 1 } },
  createdAt,
  updatedAt: createdAt,
});

/** Every page of `url` (limit 2), following nextBefore. */
async function walk(sb: TestEngine, url: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let before: string | null = null;
  let pages = 0;
  do {
    const res = await apiCall(sb, 'GET', `${url}&limit=2${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    const page = res.body as unknown as Page;
    ids.push(...page.instances.map((i) => i.id));
    before = page.nextBefore;
    pages += 1;
  } while (before && pages < 20);
  return { ids, pages };
}

test('the instance list pages newest first by `before`: every instance once, those of one instant included', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(() => sb.close());
  const seeded = [
    instance('msg-a', 0, FlowStatus.completed, at(50)),
    instance('msg-b', 0, FlowStatus.stalled, at(40)),
    instance('msg-c', 0, FlowStatus.completed, at(30)),
    instance('msg-c', 1, FlowStatus.stalled, at(30)),
    instance('msg-c', 2, FlowStatus.completed, at(30)),
    instance('msg-d', 0, FlowStatus.stalled, at(20)),
    instance('msg-e', 0, FlowStatus.completed, at(10)),
  ];
  t.is((await sb.engine.store!.flows.create(seeded)).length, seeded.length);
  const newestFirst = [...seeded]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : -1))
    .map((i) => i._id);

  const all = await walk(sb, '/api/flows/instances?flow=paged-flow');
  t.deepEqual(all.ids, newestFirst, 'each once, newest first, the three of msg-c by id');
  t.is(all.pages, 4, 'three full pages of two, and the last of one');
  const stalled = await walk(sb, '/api/flows/instances?flow=paged-flow&status=stalled');
  t.deepEqual(stalled.ids, ['msg-d:paged-flow:0', 'msg-c:paged-flow:1', 'msg-b:paged-flow:0'], 'the filter holds across pages');

  const whole = (await apiCall(sb, 'GET', '/api/flows/instances?flow=paged-flow&limit=50')).body as unknown as Page;
  t.is(whole.instances.length, 7);
  t.is(whole.nextBefore, null, 'a page that is not full is the last');
  for (const bad of ['yesterday', '2026-13-45T99:00:00.000Z|x'])
    t.is((await apiCall(sb, 'GET', `/api/flows/instances?before=${encodeURIComponent(bad)}`)).status, 400, bad);
});
