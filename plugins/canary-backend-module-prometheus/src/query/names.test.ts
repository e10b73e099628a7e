import {
  assertDns1123Label,
  assertDns1123Subdomain,
  assertLabelValue,
} from './names';

describe('Kubernetes names', () => {
  it.each(['a', 'team-a', '0x', 'a'.repeat(63)])(
    'accepts the namespace %j',
    name => expect(() => assertDns1123Label('ns', name)).not.toThrow(),
  );

  it.each([
    '',
    'Team',
    '-a',
    'a-',
    'a.b',
    'a_b',
    'a'.repeat(64),
    'a"}',
    'a\nb',
  ])('refuses the namespace %j', name =>
    expect(() => assertDns1123Label('The namespace', name)).toThrow(
      /^The namespace .* is not a valid Kubernetes name: an RFC 1123 label/,
    ),
  );

  it.each(['shop', 'shop.v2', 'a-b.c-d', 'a'.repeat(253)])(
    'accepts the workload name %j',
    name => expect(() => assertDns1123Subdomain('w', name)).not.toThrow(),
  );

  it.each([
    '',
    'Shop',
    'shop.',
    '.shop',
    'a..b',
    'shop"} or vector(1)',
    'a'.repeat(254),
  ])('refuses the workload name %j', name =>
    expect(() => assertDns1123Subdomain('w', name)).toThrow(
      /RFC 1123 subdomain/,
    ),
  );

  it.each(['canary', 'Stable_1.x', 'a'.repeat(63)])(
    'accepts the label value %j',
    value => expect(() => assertLabelValue('l', value)).not.toThrow(),
  );

  it.each(['', '-a', 'a b', 'a"', 'a'.repeat(64)])(
    'refuses the label value %j',
    value =>
      expect(() => assertLabelValue('l', value)).toThrow(
        /not a valid Kubernetes label value/,
      ),
  );
});
