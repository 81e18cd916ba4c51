import { runService } from '@rustronaut/observability';
import { startPolicyService } from './policy.service';

runService('policy', startPolicyService);
