/** `1 rule`, `2 rules`, `0 warnings`: a count with its noun. */
/** `1 needs review`, `3 need review`. */
export const needReview = (count: number): string => `${count} ${count === 1 ? 'needs' : 'need'} review`;

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
