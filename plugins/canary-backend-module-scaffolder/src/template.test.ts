import { mockServices } from '@backstage/backend-test-utils';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { validate } from 'jsonschema';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  LAUNCH_ACTION_ID,
  createLaunchRolloutAction,
} from './actions/launchRollout';

/*
 * The example template in examples/templates/canary-launch: a Template the catalog accepts, listed
 * in app-config's catalog locations with Template allowed, whose step gives the action an input
 * that the action's schema accepts (checked the way the Scaffolder checks it, with jsonschema).
 */

const ROOT = path.resolve(__dirname, '../../..');
const TEMPLATE_PATH = 'examples/templates/canary-launch/template.yaml';
const readYaml = (file: string) =>
  YAML.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

const template = readYaml(TEMPLATE_PATH);
const action = createLaunchRolloutAction({
  auth: mockServices.auth(),
  discovery: mockServices.discovery(),
  appBaseUrl: 'http://localhost:3000',
});
const step = template.spec.steps.find(
  (s: any) => s.action === LAUNCH_ACTION_ID,
);
const parameters = Object.assign(
  {},
  ...template.spec.parameters.map((page: any) => page.properties),
);

/** Renders `${{ parameters.x }}` values as the Scaffolder does (an unset parameter is ''). */
function render(
  input: Record<string, string>,
  values: Record<string, unknown>,
) {
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) => {
      const match = /^\$\{\{ parameters\.(\w+) \}\}$/.exec(value);
      if (!match) return [key, value];
      if (!(match[1] in parameters)) {
        throw new Error(`${key} uses an undeclared parameter ${match[1]}`);
      }
      return [key, values[match[1]] ?? ''];
    }),
  );
}

describe('the canary-launch template', () => {
  it('is a valid v1beta3 Template entity', async () => {
    await expect(templateEntityV1beta3Validator.check(template)).resolves.toBe(
      true,
    );
  });

  it('is a catalog location of app-config that allows Templates', () => {
    const config = readYaml('app-config.yaml');
    const location = config.catalog.locations.find(
      (l: any) => l.target === `../../${TEMPLATE_PATH}`,
    );
    expect(location).toMatchObject({ type: 'file' });
    expect(location.rules.flatMap((r: any) => r.allow)).toContain('Template');
  });

  it('picks a Component and asks for what the action requires', () => {
    expect(parameters.entity['ui:field']).toBe('EntityPicker');
    expect(parameters.entity['ui:options'].catalogFilter.kind).toBe(
      'Component',
    );
    const required = template.spec.parameters.flatMap(
      (page: any) => page.required ?? [],
    );
    expect(required).toEqual(
      expect.arrayContaining(['entity', 'canaryVersion']),
    );
  });

  it.each([
    [
      'every field filled',
      {
        entity: 'component:default/demo-shop',
        canaryVersion: '1.1.0',
        preset: 'demo',
        reason: 'release 1.1',
        waitForCompletion: true,
      },
    ],
    [
      'only the required fields (and the form defaults)',
      {
        entity: 'component:default/demo-shop',
        canaryVersion: '1.1.0',
        waitForCompletion: false,
      },
    ],
  ])('gives the action a valid input with %s', (_, values) => {
    const result = validate(render(step.input, values), action.schema!.input!);
    expect(result.errors).toEqual([]);
  });

  it('would be refused without a version (the check is not a no-op)', () => {
    const input = render(step.input, {
      entity: 'component:default/demo-shop',
      waitForCompletion: false,
    });
    delete input.canaryVersion;
    expect(validate(input, action.schema!.input!).valid).toBe(false);
  });

  it('links only to outputs the action has', () => {
    const outputs = Object.keys(action.schema!.output!.properties!);
    const used = [
      ...JSON.stringify(template.spec.output).matchAll(
        new RegExp(`steps\\.${step.id}\\.output\\.(\\w+)`, 'g'),
      ),
    ].map(m => m[1]);
    expect(used.length).toBeGreaterThan(0);
    used.forEach(name => expect(outputs).toContain(name));
  });
});
