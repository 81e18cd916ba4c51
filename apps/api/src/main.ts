import { runConsoleServices, type ConsoleServiceDefinition } from '@rustronaut/console-service';
import { startApiService } from './api.service';

/** The api service, for a process of its own (run as this file) or the console's one process. */
export const service: ConsoleServiceDefinition = { name: 'api', start: startApiService };

if (require.main === module) runConsoleServices('api', [service]);
