import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import type { ProviderFault } from '@canary-release/backstage-plugin-canary-common';
import { ProviderFaults, ProviderFaultsIcon } from './ProviderFaults';

const SINCE = '2026-11-26T10:00:00Z';
const NOW = Date.parse(SINCE) + 3 * 60_000;

const metricsDown: ProviderFault = {
  provider: 'metrics',
  operation: 'read',
  kind: 'prometheus',
  error: 'connect ECONNREFUSED 127.0.0.1:9090',
  since: SINCE,
};
const routeLocked: ProviderFault = {
  provider: 'router',
  operation: 'write',
  kind: 'istio',
  error: 'setWeights failed: 409 Conflict',
  since: SINCE,
};

describe('ProviderFaults', () => {
  it('names each provider that fails, since when, and its error', async () => {
    await renderInTestApp(
      <ProviderFaults faults={[metricsDown, routeLocked]} now={NOW} />,
    );
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('2 providers do not answer');
    expect(alert).toHaveTextContent('Nothing is promoted while they fail');
    const items = screen.getAllByRole('listitem').map(li => li.textContent);
    expect(items).toEqual([
      expect.stringMatching(
        /^Reading the metrics \(prometheus\) fails since .+ \(3 minutes ago\): connect ECONNREFUSED 127\.0\.0\.1:9090$/,
      ),
      expect.stringMatching(
        /^Changing the traffic router \(istio\) fails since .+: setWeights failed: 409 Conflict$/,
      ),
    ]);
  });

  it('says the error is hidden when the backend left it out for a reader', async () => {
    const { error: _hidden, ...withoutError } = metricsDown;
    await renderInTestApp(<ProviderFaults faults={[withoutError]} now={NOW} />);
    expect(screen.getByRole('listitem').textContent).toMatch(
      /^Reading the metrics \(prometheus\) fails since .+ \(3 minutes ago\) \(its error is shown to those who may control this rollout\)$/,
    );
  });

  it('shows nothing when every provider answers', async () => {
    await renderInTestApp(
      <>
        <ProviderFaults faults={undefined} />
        <ProviderFaultsIcon faults={[]} />
      </>,
    );
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
  });

  it('gives a list row a warning sign that names the faults', async () => {
    await renderInTestApp(
      <ProviderFaultsIcon faults={[metricsDown]} now={NOW} />,
    );
    expect(
      screen.getByRole('img', {
        name: /^Provider faults: Reading the metrics \(prometheus\) fails since .+ECONNREFUSED/,
      }),
    ).toBeInTheDocument();
  });
});
