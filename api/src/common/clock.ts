import { Injectable } from '@nestjs/common';

/** The wall clock behind an injectable class, so tests can pin time. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
