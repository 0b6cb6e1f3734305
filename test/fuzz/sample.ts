/** A fixed sample of every implemented family, a few cases each, quick enough for `npm test`. */
export const SAMPLE = [
  '1.1.1', '1.1.6', '1.2.8',
  '2.1', '2.5', '2.6', '2.10',
  '3.1', '3.3', '3.4', '3.7',
  '4.1.1', '4.1.5', '4.2.3',
  '5.1', '5.6', '5.8', '5.15', '5.17', '5.20',
  '6.1.2', '6.2.3', '6.3.2', '6.4.1', '6.4.3', '6.5.5', '6.6.3', '6.12.1', '6.21.1', '6.22.1',
  '7.1.1', '7.1.5', '7.1.6', '7.3.2', '7.3.6', '7.5.1', '7.7.13', '7.9.4', '7.13.2',
  '9.1.1', '9.2.1', '9.3.4', '9.5.6',
  '10.1.1',
  '12.1.1', '13.3.1', '13.7.1',
];

/** The sample minus its heavy categories (9, 12, 13), for the second run that compares --parallel with serial. */
export const QUICK_SAMPLE = SAMPLE.filter((id) => !/^(9|12|13)\./.test(id));
