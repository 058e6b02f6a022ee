import { TallyError } from '../../common/errors/tally.error';
import { checkWebhookUrl } from './webhook-url';

const refusal = (url: string, allowPrivate = false) => {
  try {
    checkWebhookUrl(url, allowPrivate);
  } catch (error) {
    return (error as TallyError).message;
  }
  return undefined;
};

describe('checkWebhookUrl', () => {
  it.each([
    ['ftp://example.com/hook', /https or http/],
    ['not a url', /absolute/],
    ['https://user:pass@example.com/hook', /credentials/],
    ['https://user@example.com/hook', /credentials/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[fe80::1]/hook', /link-local/],
    ['http://10.0.0.1/hook', /private/],
    ['http://2130706433/hook', /private/],
    ['http://0x7f.1/hook', /private/],
    ['http://[::ffff:127.0.0.1]/hook', /private/],
  ])('refuses %s naming url', (url, problem) => {
    expect(refusal(url)).toMatch(/^url: /);
    expect(refusal(url)).toMatch(problem);
  });

  it('lets private addresses through only with the flag, and never link-local ones', () => {
    expect(refusal('http://127.0.0.1:8080/hook', true)).toBeUndefined();
    expect(refusal('http://169.254.169.254/', true)).toMatch(/link-local/);
  });

  it('accepts public addresses and host names, normalized', () => {
    expect(checkWebhookUrl('https://Example.com/hooks?x=1', false)).toBe('https://example.com/hooks?x=1');
    expect(refusal('http://93.184.216.34/hook')).toBeUndefined();
  });
});
