import { runConsoleServices, type ConsoleServiceDefinition } from '@rustronaut/console-service';
import { startIdentityService } from './identity.service';

/** The identity service, for a process of its own (run as this file) or the console's one process. */
export const service: ConsoleServiceDefinition = { name: 'identity', start: startIdentityService };

if (require.main === module) runConsoleServices('identity', [service]);
