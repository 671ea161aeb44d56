// Hugging Face Hub repo ids as model references: `org/name` or `org/name@revision`, wherever a model path goes.

/** A model repo on the Hub, at a revision (branch, tag or commit). */
export interface RepoRef {
  /** `org/name`. */
  repo: string;
  /** Branch, tag or 40-hex commit; `main` when not given. */
  revision: string;
  /** What the user wrote. */
  text: string;
}

const PART = '[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_-])?';
const REPO_RE = new RegExp(`^(${PART})/(${PART})(?:@([A-Za-z0-9][A-Za-z0-9_./-]{0,199}))?$`);

/** Parse `org/name[@revision]`; undefined when the text is not a repo id (e.g. a path with more parts). */
export function parseRepoRef(text: string): RepoRef | undefined {
  const m = REPO_RE.exec(text);
  if (!m) return undefined;
  const [, org, name, revision] = m;
  if (
    org!.includes('..') ||
    name!.includes('..') ||
    (revision !== undefined && revision.split('/').some((s) => s === '' || s === '.' || s === '..'))
  )
    return undefined;
  if (/\.(safetensors|json|ya?ml|bin|pt)$/i.test(name!)) return undefined; // a file path, not a repo
  return { repo: `${org}/${name}`, revision: revision ?? 'main', text };
}

/** Whether a revision is a full commit hash (then it never moves, and no ref needs to be read). */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
