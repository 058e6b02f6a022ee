import { ArgumentsHost, Logger } from '@nestjs/common';
import { PassThrough } from 'node:stream';
import { EarlyLogger } from './early-logger';
import { RequestExceptionFilter } from './request-exception.filter';
import { createRootLogger } from './root-logger';

describe('RequestExceptionFilter', () => {
  const lines: any[] = [];
  beforeAll(() => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').trim().split('\n').map((l) => JSON.parse(l))));
    Logger.overrideLogger(new EarlyLogger(createRootLogger('info', stream)));
  });
  afterAll(() => Logger.overrideLogger(false));

  const host = (id: string | undefined) => {
    const sent: unknown[] = [];
    const reply = { header: () => reply, status: () => ({ send: (body: unknown) => sent.push(body) }) };
    const http = { getRequest: () => (id === undefined ? undefined : { id }), getResponse: () => reply };
    return { host: { switchToHttp: () => http } as unknown as ArgumentsHost, sent };
  };
  const flushed = () => new Promise((resolve) => setImmediate(resolve));

  it('logs an unexpected error with the id of the request that failed, and answers a plain 500', async () => {
    const { host: h, sent } = host('req-7');
    new RequestExceptionFilter().catch(new Error('boom'), h);
    await flushed();
    expect(sent).toEqual([{ statusCode: 500, code: 'internal_error', message: 'internal error' }]);
    expect(lines.at(-1)).toMatchObject({ level: 'error', reqId: 'req-7', context: 'ApiExceptionFilter' });
    expect(lines.at(-1).msg).toContain('boom');
  });

  it('leaves lines logged outside the request without it', async () => {
    new Logger('Elsewhere').warn('after');
    await flushed();
    expect(lines.at(-1)).toMatchObject({ level: 'warn', context: 'Elsewhere', msg: 'after' });
    expect(lines.at(-1)).not.toHaveProperty('reqId');
  });
});
