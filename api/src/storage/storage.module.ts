import { Module } from '@nestjs/common';
import { StaticController } from './static.controller';
import { StorageService } from './storage.service';

@Module({ controllers: [StaticController], providers: [StorageService], exports: [StorageService] })
export class StorageModule {}
