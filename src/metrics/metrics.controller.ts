import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MetricsRegistry } from './metrics.registry';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics of this instance (text exposition format 0.0.4); open, like the health checks' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'One sample per line, with # HELP and # TYPE lines', schema: { type: 'string' } })
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
