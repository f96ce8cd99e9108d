/** Where every time the package stores comes from: epoch milliseconds. Tests inject their own. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
