/**
 * A Prometheus exposition without its sample values: names, labels and help text, where patient data
 * must never stand. A value (a histogram's sum, a certificate's seconds to expiry, a timestamp) may
 * hold the digits of a test MRN such as 4711 by chance, as one did in CI runs, which is not a leak.
 */
export const withoutSampleValues = (exposition: string): string =>
  exposition
    .split('\n')
    .map((line) => (line.startsWith('#') ? line : line.replace(/ \S+( \S+)?$/, '')))
    .join('\n');
