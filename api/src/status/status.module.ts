import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { StatusController } from './status.controller';

@Module({ imports: [QueueModule], controllers: [StatusController] })
export class StatusModule {}
