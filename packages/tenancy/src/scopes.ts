import { PermissionDeniedError } from '@imageforge/contracts';
import type { ApiPrincipal, ApiScope } from './principal';

/**
 * OpenAI's wording for a restricted key, with our scope names: OpenAI's own differ
 * (`api.model.images.request`, `api.model.read`, …) and name permissions we do not have.
 * OpenAI answers `invalid_request_error` with a null code; the 403 makes the SDK raise
 * PermissionDeniedError.
 */
export function missingScopeError(scope: ApiScope): PermissionDeniedError {
  return new PermissionDeniedError(`You have insufficient permissions for this operation. Missing scopes: ${scope}.`);
}

/** Throws the 403 unless the caller's key holds `scope`. */
export function assertScope(principal: Pick<ApiPrincipal, 'scopes'>, scope: ApiScope): void {
  if (!principal.scopes.includes(scope)) throw missingScopeError(scope);
}
