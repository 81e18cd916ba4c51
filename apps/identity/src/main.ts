import { runService } from '@rustronaut/observability';
import { startIdentityService } from './identity.service';

runService('identity', startIdentityService);
