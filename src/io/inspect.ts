import { basename } from 'node:path';
import { DTYPES, isMathDtype, type Dtype } from './dtypes.js';
import { openModel } from './model.js';
import { parseTensorName } from './tensor-names.js';

/** A summary of a model's tensor catalog. */
export interface ModelInspection {
  path: string;
  layout: 'file' | 'single' | 'sharded';
  files: string[];
  tensorCount: number;
  parameterCount: number;
  totalBytes: number;
  layerCount: number;
  byDtype: { dtype: Dtype; tensors: number; parameters: number; bytes: number; supported: boolean }[];
  tensors: {
    name: string;
    dtype: Dtype;
    shape: number[];
    numel: number;
    file: string;
    byteOffset: number;
    byteLength: number;
    layer: number | null;
    module: string;
  }[];
  metadata: Record<string, string>;
}

/** Open and validate a model and summarize its catalog (no tensor data is read). */
export function inspectModel(path: string): ModelInspection {
  const m = openModel(path);
  const by = new Map<Dtype, { tensors: number; parameters: number; bytes: number }>();
  const layers = new Set<number>();
  let params = 0;
  let bytes = 0;
  const tensors: ModelInspection['tensors'] = [];
  for (const name of m.names) {
    const t = m.tensors.get(name)!;
    const role = parseTensorName(name);
    if (role.layer !== null) layers.add(role.layer);
    params += t.numel;
    bytes += t.byteLength;
    const d = by.get(t.dtype) ?? { tensors: 0, parameters: 0, bytes: 0 };
    d.tensors++;
    d.parameters += t.numel;
    d.bytes += t.byteLength;
    by.set(t.dtype, d);
    tensors.push({
      name,
      dtype: t.dtype,
      shape: t.shape,
      numel: t.numel,
      file: basename(t.file),
      byteOffset: t.byteOffset,
      byteLength: t.byteLength,
      layer: role.layer,
      module: role.module,
    });
  }
  return {
    path,
    layout: m.layout,
    files: m.files.map((f) => basename(f)),
    tensorCount: m.names.length,
    parameterCount: params,
    totalBytes: bytes,
    layerCount: layers.size,
    byDtype: [...by.entries()]
      .sort((a, b) => DTYPES[a[0]].bits - DTYPES[b[0]].bits || a[0].localeCompare(b[0]))
      .map(([dtype, v]) => ({ dtype, ...v, supported: isMathDtype(dtype) })),
    tensors,
    metadata: m.metadata,
  };
}
