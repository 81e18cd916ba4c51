import { runConsoleServices, type ConsoleServiceDefinition } from '@rustronaut/console-service';
import { startPolicyService } from './policy.service';

/** The policy service, for a process of its own (run as this file) or the console's one process. */
export const service: ConsoleServiceDefinition = { name: 'policy', start: startPolicyService };

if (require.main === module) runConsoleServices('policy', [service]);
