import { defineFlow } from '../engine/flows/flow-schema.ts';

/** How long a step waits for its peer's answer before the attempt counts as ambiguous (and is retried). */
const timeoutMs = '${FLOW_TIMEOUT_MS:-10000}';

/** A JSON API of the development peers (peers/flow-peers.ts), or the site's, named by an environment variable. */
const api = (variable: string, fallback: string, path: string, method: 'GET' | 'POST' | 'DELETE' = 'POST') => ({
  kind: 'http-json',
  config: { url: `\${${variable}:-${fallback}}${path}`, method, timeoutMs },
});

/**
 * The procedure seed scenario (issue 24): a charge line of a procedure validates its encounter,
 * posts supply consumption to inventory, reorders below the level inventory answers, allocates
 * labour cost and sends the revenue-cycle event to billing, each step after those it needs.
 */
export default defineFlow({
  id: 'procedure',
  description: 'A procedure charge: encounter check, inventory, reorder, labour cost, billing',
  trigger: { channelId: 'ehr-mllp', model: 'ChargeEvent' },
  keys: ['encounter.visitNumber', 'code'],
  steps: [
    {
      id: 'validate-encounter',
      kind: 'lookup',
      dependsOn: [],
      connector: api('FLOW_EHR_URL', 'http://127.0.0.1:8096', '/encounters/{visitNumber}', 'GET'),
      request: { visitNumber: { ref: 'event.encounter.visitNumber' } },
      outputs: ['status', 'class'],
      // The EHR is told the visit number (an indirect identifier); by default no step gets identifiers.
      dataPolicy: { allow: ['clinical', 'financial', 'operational', 'indirect-identifier'] },
    },
    {
      id: 'post-inventory',
      kind: 'call',
      dependsOn: ['validate-encounter'],
      connector: api('FLOW_INVENTORY_URL', 'http://127.0.0.1:8097', '/consumptions'),
      request: { item: { ref: 'event.code' }, quantity: { ref: 'event.quantity' }, location: { ref: 'event.department' } },
      outputs: ['consumptionId', 'stockAfter', 'reorderLevel'],
      compensation: {
        connector: api('FLOW_INVENTORY_URL', 'http://127.0.0.1:8097', '/consumptions/{consumptionId}/reverse'),
        request: { consumptionId: { ref: 'steps.post-inventory.consumptionId' } },
      },
    },
    {
      id: 'reorder',
      kind: 'call',
      dependsOn: ['post-inventory'],
      connector: api('FLOW_PROCUREMENT_URL', 'http://127.0.0.1:8098', '/reorder-requests'),
      // Reorders only below the level inventory answered, as much as that level.
      when: { ref: 'steps.post-inventory.stockAfter', below: { ref: 'steps.post-inventory.reorderLevel' } },
      request: {
        item: { ref: 'event.code' },
        quantity: { ref: 'steps.post-inventory.reorderLevel' },
        stockAfter: { ref: 'steps.post-inventory.stockAfter' },
        location: { ref: 'event.department' },
      },
      outputs: ['requestId'],
      compensation: {
        connector: api('FLOW_PROCUREMENT_URL', 'http://127.0.0.1:8098', '/reorder-requests/{requestId}', 'DELETE'),
        request: { requestId: { ref: 'steps.reorder.requestId' } },
      },
    },
    {
      id: 'allocate-labour',
      kind: 'call',
      dependsOn: ['validate-encounter'],
      connector: api('FLOW_LABOUR_URL', 'http://127.0.0.1:8099', '/allocations'),
      // The site sends a procedure's minutes as the quantity of its labour line.
      request: {
        performer: { ref: 'event.performerId' },
        costCenter: { ref: 'event.costCenter' },
        durationMinutes: { ref: 'event.quantity' },
      },
      outputs: ['allocationId', 'amount'],
      compensation: {
        connector: api('FLOW_LABOUR_URL', 'http://127.0.0.1:8099', '/allocations/{allocationId}', 'DELETE'),
        request: { allocationId: { ref: 'steps.allocate-labour.allocationId' } },
      },
      dataPolicy: { allow: ['financial', 'operational', 'indirect-identifier'] },
    },
    {
      id: 'bill',
      kind: 'call',
      dependsOn: ['post-inventory', 'allocate-labour'],
      connector: { kind: 'erp-rest', config: { baseUrl: '${ERP_BASE_URL:-http://127.0.0.1:8090}', timeoutMs } },
      request: {
        code: { ref: 'event.code' },
        amount: { ref: 'event.amount.value' },
        labourAmount: { ref: 'steps.allocate-labour.amount' },
        visitNumber: { ref: 'event.encounter.visitNumber' },
      },
      outputs: ['documentId'],
      dataPolicy: { allow: ['financial', 'operational', 'indirect-identifier'] },
    },
  ],
});
