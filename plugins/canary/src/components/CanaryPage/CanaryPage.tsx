import { Header, Page, TabbedLayout } from '@backstage/core-components';
import { AuditTab } from '../AuditTab';
import { RolloutsTab } from '../RolloutsTab';

/** The Canary page: rollouts across the catalog (and launching new ones), and the audit trail. */
export const CanaryPage = () => (
  <Page themeId="tool">
    <Header
      title="Canary releases"
      subtitle="Rollouts across the catalog and everything that happened to them"
    />
    <TabbedLayout>
      <TabbedLayout.Route path="/" title="Rollouts">
        <RolloutsTab />
      </TabbedLayout.Route>
      <TabbedLayout.Route path="/audit" title="Audit">
        <AuditTab />
      </TabbedLayout.Route>
    </TabbedLayout>
  </Page>
);
