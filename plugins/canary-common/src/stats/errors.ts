/**
 * Thrown when a statistics function gets input it cannot use: NaN, a negative count, an empty arm
 * where data is needed, a probability outside [0, 1]. Statistics never answer such input with NaN.
 *
 * @public
 */
export class StatisticsInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'StatisticsInputError';
  }
}
