import { InputError } from '@backstage/errors';

/** A valid image tag (the OCI distribution spec's rule), the form a version takes here. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** An image reference split into repository, tag and digest. */
interface ImageReference {
  /** Registry and path, e.g. `registry.example.com:5000/team/shop`. */
  repository: string;
  tag?: string;
  digest?: string;
}

function parseImage(image: string): ImageReference {
  const [name, digest] = image.split('@', 2);
  const colon = name.lastIndexOf(':');
  // A colon before the last slash belongs to the registry's port, not to a tag.
  if (colon > name.lastIndexOf('/')) {
    return {
      repository: name.slice(0, colon),
      tag: name.slice(colon + 1),
      digest,
    };
  }
  return { repository: name, digest };
}

/**
 * The version an image runs: its tag; an untagged image is `latest`, and one pinned by digest
 * only is its digest.
 */
export function versionOfImage(image: string): string {
  const { tag, digest } = parseImage(image);
  return tag ?? digest ?? 'latest';
}

/** Checks that `version` can be an image tag; an InputError otherwise. */
export function assertVersion(version: string): void {
  if (typeof version !== 'string' || !TAG.test(version)) {
    throw new InputError(
      `Invalid version ${JSON.stringify(
        version,
      )}: it becomes the image tag, so it must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
    );
  }
}

/** `image` with its tag set to `version` (a digest is dropped: it would pin the old image). */
export function imageWithVersion(image: string, version: string): string {
  assertVersion(version);
  return `${parseImage(image).repository}:${version}`;
}
