import { basename, resolve } from 'node:path';
import { parseMergeConfig, type MergeConfig } from '../merge/config.js';
import type { LlamaConfig } from './config.js';
import { mergeWeightSource } from './merge-source.js';
import type { WeightSource } from './weights.js';

/** 1 − p as a YAML reader would parse the density written with 12 decimals (so 1 − 0.9 is 0.1, not 0.09999…98). */
export function densityOf(p: number): number {
  return Number((1 - p).toFixed(12));
}

/** The mergekit YAML that reproduces a probe point with `darekit merge` (F32 output, as the probe scores it). */
export function dareRecipeYaml(base: string, finetune: string, p: number, seed: number): string {
  return [
    `# DARE(${basename(resolve(finetune))}, p = ${p}, seed ${seed}) as darekit probe scored it`,
    'merge_method: dare_linear',
    `base_model: ${JSON.stringify(resolve(base))}`,
    'models:',
    `  - model: ${JSON.stringify(resolve(finetune))}`,
    '    parameters:',
    '      weight: 1',
    `      density: ${densityOf(p)}`,
    'out_dtype: float32',
    `seed: ${seed}`,
    '',
  ].join('\n');
}

/**
 * The merge config of DARE(ft, p, seed), parsed from dareRecipeYaml: dare_linear over base with the one
 * fine-tune, weight 1, density 1 − p, that seed, F32 output. `darekit merge` of the same YAML writes the same weights.
 */
export function dareConfig(base: string, finetune: string, p: number, seed: number): MergeConfig {
  return parseMergeConfig(dareRecipeYaml(base, finetune, p, seed), { configDir: process.cwd() }, `DARE(${finetune}, ${p}, seed ${seed})`);
}

/** DARE(ft, p, seed) = base + mask·(ft − base)/(1 − p), darekit's mask, computed per tensor as the forward pass asks. */
export function dareWeightSource(base: string, finetune: string, p: number, seed: number, llama: LlamaConfig): WeightSource {
  return mergeWeightSource(dareConfig(base, finetune, p, seed), llama);
}
