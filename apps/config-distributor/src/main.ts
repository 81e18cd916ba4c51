import { runConsoleServices, type ConsoleServiceDefinition } from '@rustronaut/console-service';
import { startConfigDistributor } from './config-distributor.service';

/** The config-distributor service, for a process of its own (run as this file) or the console's one process. */
export const service: ConsoleServiceDefinition = {
  name: 'config-distributor',
  start: startConfigDistributor,
};

if (require.main === module) runConsoleServices('config-distributor', [service]);
