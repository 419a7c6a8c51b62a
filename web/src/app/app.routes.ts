import { Routes } from '@angular/router';

import { HomePage } from './features/home/home-page';

/**
 * `/` the home page, `/m/{uuid}` a model's share page (lazy), `/t/{task_id}` a task watched
 * while it is made (lazy), `/ops` the operators' console (lazy,
 * linked from nowhere: it asks for the admin token), anything else back home.
 */
export const routes: Routes = [
  { path: '', component: HomePage, title: 'title.home' },
  // Lazy: the share page pulls in three.js, which the first paint of / does not need.
  {
    path: 'm/:id',
    loadComponent: () => import('./features/share/share-page').then((m) => m.SharePage),
    title: 'title.share',
  },
  // Lazy like the share page: a task watched by its link (watch_url), then its model.
  {
    path: 't/:id',
    loadComponent: () => import('./features/watch/watch-page').then((m) => m.WatchPage),
    title: 'title.watch',
  },
  {
    path: 'ops',
    loadComponent: () => import('./features/ops/ops-page').then((m) => m.OpsPage),
    title: 'title.ops',
  },
  { path: '**', redirectTo: '' },
];
