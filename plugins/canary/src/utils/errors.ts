import { ResponseError } from '@backstage/errors';

/** The message to show a user: the server's own message for a `ResponseError`. */
export function errorMessage(error: Error): string {
  if (error instanceof ResponseError || error.name === 'ResponseError') {
    const cause = (error as ResponseError).cause;
    if (cause?.message) return cause.message;
  }
  return error.message;
}
