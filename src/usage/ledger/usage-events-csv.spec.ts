import { csvField, csvLine, usageEventsCsv } from './usage-events-csv';

const event = {
  id: '7',
  subscriptionId: '00000000-0000-4000-8000-000000000001',
  feature: 'messages',
  quantity: 3,
  idempotencyKey: null as string | null,
  occurredAt: '2025-02-01T00:00:00.000Z',
  recordedAt: '2025-02-01T00:00:01.000Z',
  periodStart: '2025-02-01T00:00:00.000Z',
};

describe('usage events CSV', () => {
  it('quotes a field with a comma, a quote or a line break, and doubles its quotes', () => {
    expect(csvField('plain-key_1')).toBe('plain-key_1');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('"')).toBe('""""');
    expect(csvField(42)).toBe('42');
  });

  it('tells a missing idempotency key (empty) from an empty one ("")', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('""');
  });

  it('writes one CRLF-terminated line per event, fields in the order of the JSON item', () => {
    expect(csvLine({ ...event, idempotencyKey: 'k,1' })).toBe(
      '7,00000000-0000-4000-8000-000000000001,messages,3,"k,1",2025-02-01T00:00:00.000Z,2025-02-01T00:00:01.000Z,2025-02-01T00:00:00.000Z\r\n',
    );
  });

  it('starts with the header line, also when there are no events', async () => {
    const text = async (events: (typeof event)[]) => {
      let all = '';
      for await (const chunk of usageEventsCsv((async function* () { yield* events; })())) all += chunk;
      return all;
    };
    const header = 'id,subscriptionId,feature,quantity,idempotencyKey,occurredAt,recordedAt,periodStart\r\n';
    expect(await text([])).toBe(header);
    expect(await text([event, event])).toBe(header + csvLine(event) + csvLine(event));
  });
});
