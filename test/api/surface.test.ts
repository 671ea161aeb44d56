import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

const README = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
const apiSection = README.slice(README.indexOf('## Library API'), README.indexOf('<!-- /section:api -->'));

describe('library surface', () => {
  it('exports only values the README documents in "Library API"', () => {
    const values = Object.keys(api).sort();
    expect(values.length).toBeGreaterThan(10);
    const undocumented = values.filter((name) => !new RegExp(`\\b${name}\\b`).test(apiSection));
    expect(undocumented).toEqual([]);
  });
});
