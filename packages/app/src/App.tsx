import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import notificationsPlugin from '@backstage/plugin-notifications/alpha';
import signalsPlugin from '@backstage/plugin-signals/alpha';
import canaryPlugin from '@canary-release/backstage-plugin-canary/alpha';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';

export default createApp({
  // Listed although `app.packages: all` discovers them too, so the app keeps them if discovery
  // is narrowed. Signals pushes new notifications to the sidebar's badge without polling.
  features: [
    catalogPlugin,
    canaryPlugin,
    notificationsPlugin,
    signalsPlugin,
    navModule,
    homeModule,
  ],
});
