/**
 * End to end through the local stack with two tenants sending at once, with the same sources: a key
 * made in the stack's key store works within the local refresh interval, every event is stored once
 * under its sender's tenant, and each key reads, queries and counts only its own tenant's events.
 */
import path from 'node:path';
import { Client } from 'pg';
import { createSsmClient } from '../../lib/aws/ssmClient';
import { runLoad, type RequestOutcome } from '../../local/src/load';
import { type ServicesChild, startServicesChild } from '../../local/src/servicesChild';
import { type LocalStack, startLocalStack } from '../../local/src/stack';
import { seedKeyStore } from '../helpers/keys';

const EVENTS = 1_000;
const GLOBEX_KEY = 'tp_e2e-globex-key-0000000000000000000000000000';

describe('end to end: two tenants at once', () => {
  let services: ServicesChild;
  let stack: LocalStack;
  let db: Client;

  beforeAll(async () => {
    services = await startServicesChild();
    stack = await startLocalStack({
      port: 0,
      root: path.resolve(__dirname, '..', '..'),
      services,
      esmTiming: { pollIntervalMs: 200, shardDiscoveryIntervalMs: 500 },
    });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
    await services?.stop();
  }, 30_000);

  const get = (route: string, key: string) => fetch(`${stack.apiUrl}${route}`, { headers: { 'x-api-key': key } });

  it('keeps each tenant’s events apart, by id, by query and by stats', async () => {
    // The local tenant's key is used first, so the stack has loaded its keys before the new one exists.
    expect((await get('/telemetry/0190b6c2-0000-7000-8000-000000000001', stack.apiKey)).status).toBe(202);
    const ssm = createSsmClient({
      region: stack.region,
      kinesisEndpoint: undefined,
      sqsEndpoint: undefined,
      ssmEndpoint: stack.ssmEndpoint,
      streamAddressing: 'name',
    });
    await seedKeyStore(ssm, [{ key: GLOBEX_KEY, tenant: 'globex' }], stack.apiKeysPath);
    ssm.destroy();
    // A new key works within the local refresh interval (5 s), without a restart.
    const started = Date.now();
    let status = 401;
    while (status === 401 && Date.now() - started < 20_000) {
      status = (await get('/telemetry/0190b6c2-0000-7000-8000-000000000001', GLOBEX_KEY)).status;
      if (status === 401) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(202);

    // Both at once, the same seed: the same sources (and bodies) from two tenants.
    const outcomes: Record<string, RequestOutcome[]> = { local: [], globex: [] };
    const load = (tenant: 'local' | 'globex', apiKey: string) =>
      runLoad({
        apiUrl: stack.apiUrl,
        apiKey,
        rate: 1_000,
        durationSeconds: 20,
        events: EVENTS,
        batchSize: 100,
        sources: 4,
        seed: 17,
        onResponse: (outcome) => outcomes[tenant]?.push(outcome),
      });
    const [local, globex] = await Promise.all([load('local', stack.apiKey), load('globex', GLOBEX_KEY)]);
    expect(local).toMatchObject({ eventsSent: EVENTS, byStatus: { '202': 10 }, notAccepted: 0 });
    expect(globex).toMatchObject({ eventsSent: EVENTS, byStatus: { '202': 10 }, notAccepted: 0 });
    await stack.drained(30_000);

    const ids = (tenant: string) => (outcomes[tenant] ?? []).flatMap((o) => o.acceptedIds);
    const { rows } = await db.query<{ tenant: string; id: string }>(
      'SELECT tenant, event_id::text AS id FROM telemetry_events ORDER BY tenant, event_id',
    );
    for (const tenant of ['local', 'globex'])
      expect(rows.filter((r) => r.tenant === tenant).map((r) => r.id)).toEqual([...ids(tenant)].sort());

    // By id: one's own is stored; the other tenant's is pending, as an unknown id is.
    const [localId, globexId] = [ids('local')[0] as string, ids('globex')[0] as string];
    expect((await get(`/telemetry/${localId}`, stack.apiKey)).status).toBe(200);
    expect((await get(`/telemetry/${globexId}`, GLOBEX_KEY)).status).toBe(200);
    expect((await get(`/telemetry/${globexId}`, stack.apiKey)).status).toBe(202);
    expect((await get(`/telemetry/${localId}`, GLOBEX_KEY)).status).toBe(202);

    // By query and stats, on a source both tenants sent to: each sees its own count.
    const { rows: sources } = await db.query<{ source: string; tenant: string; n: number }>(
      'SELECT source, tenant, count(*)::int AS n FROM telemetry_events GROUP BY 1, 2 ORDER BY 1, 2',
    );
    const shared = sources.find((s) => sources.filter((t) => t.source === s.source).length === 2)?.source;
    if (!shared) throw new Error('no source both tenants sent to');
    const window = `from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;
    for (const [tenant, key] of [
      ['local', stack.apiKey],
      ['globex', GLOBEX_KEY],
    ] as const) {
      const expected = sources.find((s) => s.source === shared && s.tenant === tenant)?.n;
      const query = await get(`/telemetry?source=${encodeURIComponent(shared)}&${window}&limit=1000`, key);
      const page = (await query.json()) as { events: { eventId: string }[] };
      expect(page.events).toHaveLength(expected as number);
      const own = new Set(ids(tenant));
      expect(page.events.every((e) => own.has(e.eventId))).toBe(true);
      const stats = await get(`/telemetry/stats?source=${encodeURIComponent(shared)}&${window}&interval=day`, key);
      const points = ((await stats.json()) as { points: { events: number }[] }).points;
      expect(points.reduce((sum, p) => sum + p.events, 0)).toBe(expected);
    }
  }, 120_000);
});
