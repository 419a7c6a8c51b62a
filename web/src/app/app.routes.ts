import { Routes } from '@angular/router';

import { HomePage } from './features/home/home-page';

/** `/` the home page, `/m/{uuid}` a model's share page (lazy), anything else back home. */
export const routes: Routes = [
  { path: '', component: HomePage, title: 'title.home' },
  // Lazy: the share page pulls in three.js, which the first paint of / does not need.
  {
    path: 'm/:id',
    loadComponent: () => import('./features/share/share-page').then((m) => m.SharePage),
    title: 'title.share',
  },
  { path: '**', redirectTo: '' },
];
