import { addressRefusal } from './address-policy';

describe('addressRefusal', () => {
  it.each([
    '169.254.169.254',
    'fe80::1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '224.0.0.1',
    '100.100.100.200',
    'fd00:ec2::254',
    '192.0.0.192',
    '64:ff9b::169.254.169.254',
    '64:ff9b::a9fe:a9fe',
  ])(
    'always refuses %s',
    (address) => {
      expect(addressRefusal(address, true)).toMatch(/link-local/);
      expect(addressRefusal(address, false)).toMatch(/link-local/);
    },
  );

  it.each(['10.0.0.1', '127.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::127.0.0.1'])(
    'refuses %s unless private networks are allowed',
    (address) => {
      expect(addressRefusal(address, false)).toMatch(/private/);
      expect(addressRefusal(address, true)).toBeUndefined();
    },
  );

  it.each(['93.184.216.34', '172.32.0.1', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('lets %s through', (address) => {
    expect(addressRefusal(address, false)).toBeUndefined();
  });
});
