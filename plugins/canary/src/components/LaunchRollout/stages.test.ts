import { toStageDrafts, validateStages, type StageDraft } from './stages';

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
