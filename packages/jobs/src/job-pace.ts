/**
 * Measured seconds of work per unit (an image) for each subject (a model), shared by
 * every process: workers add what they measure, readers estimate waits from it.
 */
export interface PaceBook {
  /** Folds one measurement into the subject's running average. */
  record(subject: string, secondsPerUnit: number): Promise<void>;
  /** The averages known for these subjects; one never measured is absent. */
  read(subjects: readonly string[]): Promise<Map<string, number>>;
}
