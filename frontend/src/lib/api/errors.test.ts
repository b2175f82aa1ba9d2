import { describe, expect, it } from 'vitest';
import { ApiError, errorCode, errorMessage, toApiError } from './errors';

describe('errors from Go', () => {
  it('reads a coded error as its code and message', () => {
    const err = toApiError('{"code":"stale","message":"stale edit: made on version 3"}');
    expect(err).toBeInstanceOf(ApiError);
    expect(errorCode(err)).toBe('stale');
    expect(errorMessage(err)).toBe('stale edit: made on version 3');
  });

  it('reads any other string as a message without a code', () => {
    const err = toApiError('the version is not what it says: stale');
    expect(errorCode(err)).toBe('');
    expect(errorMessage(err)).toBe('the version is not what it says: stale');
    expect(errorCode(toApiError('{"code": broken'))).toBe('');
  });

  it('keeps errors raised in the window as they are', () => {
    const own = new Error('Workspace.Open is not available');
    expect(toApiError(own)).toBe(own);
    expect(errorCode(own)).toBe('');
  });
});
