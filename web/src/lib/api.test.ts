import { describe, expect, it } from 'vitest';

import { dispositionName, statusMessage } from './api';

describe('downloads', () => {
  it('takes the file name the server gives, when it is a plain one', () => {
    expect(dispositionName('attachment; filename="chorus-48213377.xlsx"')).toBe('chorus-48213377.xlsx');
    expect(dispositionName('attachment; filename=chorus-series-48213377.csv')).toBe('chorus-series-48213377.csv');
    expect(dispositionName(null)).toBeNull();
    expect(dispositionName('attachment')).toBeNull();
    expect(dispositionName('attachment; filename="../../etc/passwd"')).toBeNull();
    expect(dispositionName('attachment; filename="a b.html"')).toBeNull();
  });

  it('explains a status the server did not', () => {
    expect(statusMessage(401)).toMatch(/key/);
    expect(statusMessage(404)).toMatch(/no session/);
  });
});
