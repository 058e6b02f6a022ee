import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { DrainService } from './drain.service';
import { RequestDeadlineInterceptor } from './request-deadline';

@Global()
@Module({
  providers: [DrainService, { provide: APP_INTERCEPTOR, useClass: RequestDeadlineInterceptor }],
  exports: [DrainService],
})
export class LifecycleModule {}
