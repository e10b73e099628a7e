import { InputError } from '@backstage/errors';

/**
 * Kubernetes' naming rules (k8s.io/apimachinery/pkg/util/validation), checked before a name goes
 * into a query. Queries escape every value anyway; the check turns a typo in an annotation into a
 * clear error instead of a query that silently matches nothing.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Checks a namespace name (an RFC 1123 label); `what` names the value in the error. */
export function assertDns1123Label(what: string, value: string): void {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new InputError(
      `${what} ${JSON.stringify(
        value,
      )} is not a valid Kubernetes name: an RFC 1123 label has at most 63 lowercase letters, digits or '-', and starts and ends with a letter or digit`,
    );
  }
}

/** Checks an object name such as a Deployment's (an RFC 1123 subdomain). */
export function assertDns1123Subdomain(what: string, value: string): void {
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw new InputError(
      `${what} ${JSON.stringify(
        value,
      )} is not a valid Kubernetes name: an RFC 1123 subdomain has at most 253 lowercase letters, digits, '-' or '.', and starts and ends with a letter or digit`,
    );
  }
}

/** Checks a non-empty Kubernetes label value. */
export function assertLabelValue(what: string, value: string): void {
  if (value === '' || value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new InputError(
      `${what} ${JSON.stringify(
        value,
      )} is not a valid Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    );
  }
}
