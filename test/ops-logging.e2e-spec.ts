import { captureLogs } from './support/capture-logs';
import { TestApp, createTestApp } from './support/test-app';

// API keys in use, request lines and redaction are in ops-auth.e2e-spec.ts; this is the open quick start.
describe('API_KEYS unset, LOG_LEVEL=warn', () => {
  let t: TestApp;
  const logs = captureLogs();
  beforeAll(async () => {
    t = await createTestApp({ config: { apiKeys: [], logLevel: 'warn' }, logStream: logs.stream });
  });
  afterAll(() => t.close());

  it('runs open, says so once at start-up, and honours LOG_LEVEL', async () => {
    const res = await t.http().post('/v1/features').send({ key: 'open-feature', name: 'Feature' });
    expect(res.status).toBe(201);
    const lines = logs.parsed();
    expect(lines.filter((line) => /API_KEYS is unset/.test(line.msg))).toEqual([
      expect.objectContaining({ level: 'warn', context: 'ApiKeyHook' }),
    ]);
    // LOG_LEVEL=warn: no info lines (start-up chatter, request lines) at all.
    expect(lines.filter((line) => line.level === 'info' || line.level === 'debug')).toEqual([]);
  });
});
