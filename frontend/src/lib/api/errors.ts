// Errors from the Go services. Go sends an error as a string: a coded error
// (document.WireError) as the JSON {"code", "message"}, any other as its
// message. This is the one place that string is read; stores branch on
// ApiError.code, never on a message's text.

import type { ErrorCode } from './protocol.gen';

export class ApiError extends Error {
  /** The stable code of the error, or '' for an error without one. */
  readonly code: ErrorCode | '';

  constructor(code: ErrorCode | '', message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

/** Reads what a Go call rejected with as an ApiError. */
export function toApiError(err: unknown): unknown {
  if (err instanceof Error) return err;
  const text = typeof err === 'string' ? err : errorMessage(err);
  if (text.startsWith('{"code":')) {
    try {
      const { code, message } = JSON.parse(text) as { code: ErrorCode; message: string };
      return new ApiError(code, message);
    } catch {
      // not one of ours: the text is the message
    }
  }
  return new ApiError('', text);
}

/** The code of err, or '' when it has none. */
export function errorCode(err: unknown): ErrorCode | '' {
  return err instanceof ApiError ? err.code : '';
}

export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
