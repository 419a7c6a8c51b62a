import { Injectable, inject, signal } from '@angular/core';

import { ApiClient } from './api-client';
import { DEFAULT_SERVER_CONFIG, ServerConfig } from './api-types';

/** The server's limits, read once; the documented defaults hold until (or if never) it answers. */
@Injectable({ providedIn: 'root' })
export class ServerConfigStore {
  private readonly api = inject(ApiClient);
  private readonly config = signal<ServerConfig>(DEFAULT_SERVER_CONFIG);
  private loading: Promise<ServerConfig> | undefined;
  readonly value = this.config.asReadonly();

  /** Asks GET /api/config once; later calls share the first answer. */
  load(): Promise<ServerConfig> {
    this.loading ??= this.api.getConfig().then((config) => {
      this.config.set(config);
      return config;
    });
    return this.loading;
  }
}
