import { makeStrategies } from '../../__testUtils__/fixtures';
import {
  toLaunchRequest,
  toLaunchStrategy,
  toStageDrafts,
  toStages,
  validateStages,
  type StageDraft,
} from './stages';

const draft = (overrides: Partial<StageDraft> = {}): StageDraft => ({
  weight: '10',
  minDuration: '5m',
  maxDuration: '',
  requireApproval: false,
  ...overrides,
});

describe('validateStages', () => {
  it('turns valid drafts into launch stages', () => {
    expect(
      validateStages([
        draft(),
        draft({ weight: '50', maxDuration: '1h', requireApproval: true }),
      ]),
    ).toEqual({
      errors: [{}, {}],
      stages: [
        { weight: 10, minDuration: '5m', requireApproval: false },
        {
          weight: 50,
          minDuration: '5m',
          maxDuration: '1h',
          requireApproval: true,
        },
      ],
    });
  });

  it.each([
    [[draft({ weight: '0' })], { weight: 'A whole number from 1 to 100' }],
    [[draft({ weight: '101' })], { weight: 'A whole number from 1 to 100' }],
    [[draft({ weight: '2.5' })], { weight: 'A whole number from 1 to 100' }],
    [[draft({ minDuration: '5' })], { minDuration: expect.any(String) }],
    [[draft({ minDuration: '0s' })], { minDuration: expect.any(String) }],
    [[draft({ maxDuration: '1d' })], { maxDuration: expect.any(String) }],
    [
      [draft({ minDuration: '1h', maxDuration: '30m' })],
      { maxDuration: 'At least the minimum duration' },
    ],
  ])('rejects %j', (drafts, errors) => {
    const result = validateStages(drafts);
    expect(result.stages).toBeUndefined();
    expect(result.errors[0]).toEqual(errors);
  });

  it('requires increasing weights', () => {
    const result = validateStages([
      draft({ weight: '50' }),
      draft({ weight: '50' }),
    ]);
    expect(result.stages).toBeUndefined();
    expect(result.errors).toEqual([
      {},
      { weight: "More than the previous stage's 50 %" },
    ]);
  });

  it('requires a stage', () => {
    expect(validateStages([]).stages).toBeUndefined();
  });

  it('starts drafts from an existing strategy', () => {
    expect(
      toStageDrafts([
        {
          weight: 5,
          minDurationMs: 1_800_000,
          maxDurationMs: 3_600_000,
          requireApproval: true,
        },
      ]),
    ).toEqual([
      {
        weight: '5',
        minDuration: '30m',
        maxDuration: '1h',
        requireApproval: true,
      },
    ]);
  });
});

describe('toStages', () => {
  it('resolves durations as the server does: no maximum is twice the minimum', () => {
    expect(
      toStages([
        { weight: 5, minDuration: '30s' },
        {
          weight: 50,
          minDuration: '5m',
          maxDuration: '1h',
          requireApproval: true,
        },
      ]),
    ).toEqual([
      {
        weight: 5,
        minDurationMs: 30_000,
        maxDurationMs: 60_000,
        requireApproval: false,
      },
      {
        weight: 50,
        minDurationMs: 300_000,
        maxDurationMs: 3_600_000,
        requireApproval: true,
      },
    ]);
  });
});

describe('toLaunchRequest', () => {
  const { defaults } = makeStrategies();
  const input = {
    entityRef: 'component:default/shop',
    canaryVersion: ' 1.2.0 ',
    stableVersion: '',
    reason: '  ',
    defaults,
  };

  it('names the chosen preset and leaves empty fields out', () => {
    expect(
      toLaunchRequest({ ...input, preset: 'demo', entityPreset: 'demo' }),
    ).toEqual({
      entityRef: 'component:default/shop',
      canaryVersion: '1.2.0',
      preset: 'demo',
    });
  });

  it('sends nothing about the strategy for the defaults of an entity without a preset', () => {
    expect(toLaunchRequest(input)).toEqual({
      entityRef: 'component:default/shop',
      canaryVersion: '1.2.0',
    });
  });

  it("sends the defaults in full over an entity's preset, with custom stages on top", () => {
    const stages = [{ weight: 10, minDuration: '1m' as const }];
    expect(toLaunchRequest({ ...input, entityPreset: 'demo', stages })).toEqual(
      {
        entityRef: 'component:default/shop',
        canaryVersion: '1.2.0',
        strategy: { ...toLaunchStrategy(defaults), stages },
      },
    );
  });

  it('writes a strategy in the launch form', () => {
    const { analysis, ...rest } = toLaunchStrategy(defaults);
    expect(rest).toEqual({
      stages: [
        {
          weight: 5,
          minDuration: '30m',
          maxDuration: '1h',
          requireApproval: false,
        },
        {
          weight: 25,
          minDuration: '1h',
          maxDuration: '2h',
          requireApproval: false,
        },
        {
          weight: 50,
          minDuration: '2h',
          maxDuration: '4h',
          requireApproval: true,
        },
      ],
      dedicatedBaseline: false,
      progressDeadline: '10m',
    });
    expect(analysis).toMatchObject({ interval: '1m', alpha: 0.05 });
    expect(analysis).not.toHaveProperty('intervalMs');
  });
});
