import { runConsoleServices, type ConsoleServiceDefinition } from '@rustronaut/console-service';
import { startAuditService } from './audit.service';

/** The audit service, for a process of its own (run as this file) or the console's one process. */
export const service: ConsoleServiceDefinition = { name: 'audit', start: startAuditService };

if (require.main === module) runConsoleServices('audit', [service]);
