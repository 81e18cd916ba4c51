import { runService } from '@rustronaut/observability';
import { startGatewayRegistry } from './registry.service';

runService('gateway-registry', startGatewayRegistry);
