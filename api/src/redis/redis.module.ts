import { Global, Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { RedisMemory } from './redis-memory';
import { RedisService } from './redis.service';

@Global()
@Module({ providers: [RedisService, RedisMemory, Clock], exports: [RedisService, RedisMemory] })
export class RedisModule {}
