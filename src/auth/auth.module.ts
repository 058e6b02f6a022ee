import { Module } from '@nestjs/common';
import { ApiKeyHook } from './api-key.hook';

/** API keys (API_KEYS) on every /v1 request, before its body is read (api-key.hook.ts). */
@Module({ providers: [ApiKeyHook] })
export class AuthModule {}
