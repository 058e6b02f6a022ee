import { parseIsoDuration } from './iso-duration';

describe('parseIsoDuration', () => {
  it.each([
    ['PT0S', 0],
    ['PT15M', 15 * 60_000],
    ['PT1H30M', 90 * 60_000],
    ['P1D', 86_400_000],
    ['P2W', 14 * 86_400_000],
    ['P1DT12H', 36 * 3_600_000],
    ['PT0.5S', 500],
    ['PT1,25S', 1250],
  ])('reads %s', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '1H', 'PT-1H', 'P1M', 'P1Y', 'P1W2D', 'pt1h', 'PT1H ', 'P1DT', 'PT0.0001S'])(
    'refuses %j',
    (text) => {
      expect(parseIsoDuration(text)).toBeUndefined();
    },
  );
});
