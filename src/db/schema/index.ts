export * from './audit.js';
export * from './catalogue.js';
export * from './crafters.js';
export * from './idempotency.js';
export * from './outbox.js';
export * from './regions.js';
export * from './users.js';
