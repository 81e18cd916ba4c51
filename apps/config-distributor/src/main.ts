import { runService } from '@rustronaut/observability';
import { startConfigDistributor } from './config-distributor.service';

runService('config-distributor', startConfigDistributor);
