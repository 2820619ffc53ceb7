/**
 * `npm start`'s last step (after scripts/start.sh provisioned Redis and FerretDB): runs the ERP
 * simulator on ERP_SIM_PORT (default 8090) unless ERP_BASE_URL points at a real ERP, then the engine.
 */
import { startErpSimulator } from '../tests/peers/erp-simulator.ts';
import { main } from '../engine/main.ts';

if (!process.env.ERP_BASE_URL) {
  const port = Number(process.env.ERP_SIM_PORT ?? 8090);
  const erp = await startErpSimulator({ port, host: '127.0.0.1' });
  process.env.ERP_BASE_URL = erp.url;
  console.error(JSON.stringify({ level: 'info', message: 'ERP simulator started (demo)', url: erp.url, postings: `${erp.url}/_sim/postings` }));
}
await main();
