import { resolve } from 'node:path';
import type { ConsoleServiceDefinition } from '@rustronaut/console-service';

/**
 * The console's services in dependency order: `npm start` starts each and waits until it answers
 * on its health subject before the next. Each is `dist/apps/<name>/src/main.js`, which runs the
 * service when started as a process of its own and exports its definition for the one process.
 */
export const CONSOLE_SERVICES = [
  'identity',
  'audit',
  'policy',
  'config-distributor',
  'gateway-registry',
  'api',
] as const;

export type ConsoleServiceName = (typeof CONSOLE_SERVICES)[number];

/** The compiled entry point of a service (this file runs from dist/apps/platform/src). */
export function serviceEntry(name: ConsoleServiceName): string {
  return resolve(__dirname, `../../${name}/src/main.js`);
}

/** The service's definition, loaded from its compiled entry point (apps do not import apps). */
export function loadServiceDefinition(name: ConsoleServiceName): ConsoleServiceDefinition {
  const exported = (require(serviceEntry(name)) as { service?: Partial<ConsoleServiceDefinition> }).service;
  if (exported?.name !== name || typeof exported.start !== 'function')
    throw new Error(
      `${serviceEntry(name)} does not export the ${name} service definition (export const service)`,
    );
  return exported as ConsoleServiceDefinition;
}
