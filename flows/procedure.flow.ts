import { defineFlow } from '../engine/flows/flow-schema.ts';

const erp = (path: string) => ({ kind: 'erp-rest', config: { baseUrl: `\${FLOW_PEERS_URL:-http://127.0.0.1:8095}${path}` } });

/**
 * The procedure seed scenario (issue 24): a charge line of a procedure validates its encounter,
 * posts supply consumption to inventory, reorders below the level inventory answers, allocates
 * labour cost and sends the revenue-cycle event to billing, each step after those it needs.
 */
export default defineFlow({
  id: 'procedure',
  description: 'A procedure charge: encounter check, inventory, reorder, labour cost, billing',
  trigger: { channelId: 'ehr-mllp', model: 'ChargeEvent' },
  steps: [
    {
      id: 'validate-encounter',
      kind: 'lookup',
      dependsOn: [],
      connector: erp('/encounters'),
      request: { visitNumber: { ref: 'event.encounter.visitNumber' } },
      outputs: ['status', 'patientClass'],
    },
    {
      id: 'post-inventory',
      kind: 'call',
      dependsOn: ['validate-encounter'],
      connector: erp('/inventory/consumptions'),
      request: { item: { ref: 'event.code' }, quantity: { ref: 'event.quantity' }, department: { ref: 'event.department' } },
      outputs: ['consumptionId', 'stockLevel', 'reorderLevel'],
      compensation: {
        connector: erp('/inventory/reversals'),
        request: { consumptionId: { ref: 'steps.post-inventory.consumptionId' } },
      },
    },
    {
      id: 'reorder',
      kind: 'call',
      dependsOn: ['post-inventory'],
      connector: erp('/procurement/reorders'),
      request: {
        item: { ref: 'event.code' },
        stockLevel: { ref: 'steps.post-inventory.stockLevel' },
        reorderLevel: { ref: 'steps.post-inventory.reorderLevel' },
      },
      outputs: ['reorderId'],
    },
    {
      id: 'allocate-labour',
      kind: 'call',
      dependsOn: ['validate-encounter'],
      connector: erp('/labour/allocations'),
      request: { performerId: { ref: 'event.performerId' }, costCenter: { ref: 'event.costCenter' }, quantity: { ref: 'event.quantity' } },
      outputs: ['allocationId', 'amount'],
    },
    {
      id: 'bill',
      kind: 'call',
      dependsOn: ['post-inventory', 'allocate-labour'],
      connector: erp('/billing/charges'),
      request: {
        code: { ref: 'event.code' },
        amount: { ref: 'event.amount.value' },
        labourAmount: { ref: 'steps.allocate-labour.amount' },
        visitNumber: { ref: 'event.encounter.visitNumber' },
      },
      outputs: ['chargeId'],
      dataPolicy: { allow: ['financial', 'operational', 'indirect-identifier'] },
    },
  ],
});
