/** Who acted: a token, or the registry itself (the pipeline). Recorded with every change in the audit log. */
export interface AuditActor {
  name: string;
  tokenId: string | null;
}

export const PIPELINE_ACTOR: AuditActor = { name: 'pipeline', tokenId: null };
