import { ConfigError, loadConfig } from './config';

describe('billing configuration', () => {
  it('runs the rollup every five minutes with no grace period by default', () => {
    const config = loadConfig({});
    expect(config.billingRollupCron).toBe('*/5 * * * *');
    expect(config.billingGracePeriodMs).toBe(0);
  });

  it('reads "off", a cron expression and an ISO-8601 grace period', () => {
    expect(loadConfig({ BILLING_ROLLUP_CRON: 'off' }).billingRollupCron).toBeNull();
    expect(loadConfig({ BILLING_ROLLUP_CRON: '0 2 * * *' }).billingRollupCron).toBe('0 2 * * *');
    expect(loadConfig({ BILLING_GRACE_PERIOD: 'PT1H' }).billingGracePeriodMs).toBe(3_600_000);
  });

  it.each([
    ['BILLING_ROLLUP_CRON', 'every five minutes'],
    ['BILLING_ROLLUP_CRON', '61 * * * *'],
    ['BILLING_GRACE_PERIOD', '1h'],
    ['BILLING_GRACE_PERIOD', 'P1M'],
  ])('refuses %s=%j naming the variable', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: expected`));
  });
});
