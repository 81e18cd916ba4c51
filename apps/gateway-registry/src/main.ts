import { runConsoleServices, type ConsoleServiceDefinition } from '@rustronaut/console-service';
import { startGatewayRegistry } from './registry.service';

/** The gateway-registry service, for a process of its own (run as this file) or the console's one process. */
export const service: ConsoleServiceDefinition = { name: 'gateway-registry', start: startGatewayRegistry };

if (require.main === module) runConsoleServices('gateway-registry', [service]);
