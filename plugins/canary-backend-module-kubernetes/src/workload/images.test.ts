import { InputError } from '@backstage/errors';
import { assertVersion, imageWithVersion, versionOfImage } from './images';

describe('image versions', () => {
  it.each([
    ['shop:1.2.3', '1.2.3'],
    ['registry.example.com:5000/team/shop:v2', 'v2'],
    ['registry.example.com:5000/team/shop', 'latest'],
    ['shop:1.0@sha256:abc', '1.0'],
    ['shop@sha256:abc', 'sha256:abc'],
  ])('reads the version of %s as %s', (image, version) => {
    expect(versionOfImage(image)).toBe(version);
  });

  it.each([
    ['shop:1.2.3', 'shop:1.3.0'],
    [
      'registry.example.com:5000/team/shop',
      'registry.example.com:5000/team/shop:1.3.0',
    ],
    [
      'registry.example.com:5000/team/shop:1.0@sha256:abc',
      'registry.example.com:5000/team/shop:1.3.0',
    ],
  ])('sets the tag of %s, dropping a digest', (image, expected) => {
    expect(imageWithVersion(image, '1.3.0')).toBe(expected);
  });

  it.each([
    '',
    ' ',
    '-1',
    '.hidden',
    'a/b',
    '1.0:latest',
    'x'.repeat(129),
    'v1\n',
  ])('refuses %j as a version: it could not be an image tag', version => {
    expect(() => assertVersion(version)).toThrow(InputError);
  });

  it('accepts tags as registries do', () => {
    for (const version of [
      '1.2.3',
      'v1.2.3-rc.1',
      '2024_01_01',
      'x'.repeat(128),
    ]) {
      expect(() => assertVersion(version)).not.toThrow();
    }
  });
});
