import { runService } from '@rustronaut/observability';
import { startApiService } from './api.service';

runService('api', startApiService);
