import { runService } from '@rustronaut/observability';
import { startAuditService } from './audit.service';

runService('audit', startAuditService);
