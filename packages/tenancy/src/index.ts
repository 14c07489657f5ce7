export * from './principal';
export * from './scopes';
export * from './keys';
export * from './limits';
