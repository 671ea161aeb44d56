import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { fillCommand, parseScore, runEval, shellQuote } from '../../src/tune/eval-command.js';

describe('eval command plumbing', () => {
  it('shellQuote round-trips any string through sh as one word', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')),
        (s) => {
          const out = execFileSync('sh', ['-c', `printf %s ${shellQuote(s)}`]).toString('utf8');
          expect(out).toBe(s);
        },
      ),
      { seed: 5, numRuns: 60 },
    );
  });
  it('fills every {model} with the quoted dir', () => {
    expect(fillCommand('x {model} y {model}', "/t/a b'c")).toBe(`x '/t/a b'\\''c' y '/t/a b'\\''c'`);
  });
  it('reads the last number on stdout, in any notation', () => {
    expect(parseScore('loss 2.5\naccuracy: 0.91\n')).toBe(0.91);
    expect(parseScore('score=-1.5e-3 done')).toBe(-0.0015);
    expect(parseScore('no digits here')).toBeNull();
  });
  it('reads a dotted JSON key from the last JSON line', () => {
    expect(parseScore('log 7\n{"eval": {"acc": 0.8}, "n": 3}\n', 'eval.acc')).toBe(0.8);
    expect(parseScore('{"acc": "0.75"}', 'acc')).toBe(0.75);
    expect(parseScore('{"other": 1}', 'acc')).toBeNull();
  });
  it('reports a failing command with its stderr and exit code', async () => {
    const r = await runEval(`echo oops >&2; echo 5; exit 4 # {model}`, '/nowhere');
    expect(r.status).toBe('failed');
    expect(r.score).toBeNull();
    expect(r.stderrTail).toContain('oops');
    expect(r.stderrTail).toContain('exit 4');
  });
  it('reports a command that prints no number', async () => {
    const r = await runEval(`echo none {model}`, '/x');
    expect(r.status).toBe('no-score');
  });
  it('kills a command (and its children) that runs past the timeout', async () => {
    const r = await runEval(`sleep 30; echo 1 {model}`, '/x', { timeoutMs: 300 });
    expect(r.status).toBe('timeout');
  });
  it('passes the candidate dir as one argument', async () => {
    const r = await runEval(`node -e "console.log(process.argv[1].length)" {model}`, "/tmp/a b 'c'");
    expect(r.status).toBe('ok');
    expect(r.score).toBe("/tmp/a b 'c'".length);
  });
});
