/** The registry's taxonomy. Slugs are stable: they appear in URLs and in stored plugins. */
export interface Category {
  slug: string;
  name: string;
  description: string;
}

export const CATEGORIES: readonly Category[] = [
  {
    slug: 'authentication-authorization',
    name: 'Authentication & Authorization',
    description: 'Verify who is calling and what they may do: JWT, OAuth2/OIDC, API keys, mTLS identity, policy checks.',
  },
  {
    slug: 'observability',
    name: 'Observability',
    description: 'Tracing, metrics and logging: span enrichment, sampling, custom metrics, access logs.',
  },
  {
    slug: 'traffic-management',
    name: 'Traffic Management',
    description: 'Shape and route traffic: rate limiting, retries, circuit breaking, header-based routing.',
  },
  {
    slug: 'security',
    name: 'Security',
    description: 'Protect services and data: WAF rules, data masking, DDoS mitigation, request validation.',
  },
  {
    slug: 'integration',
    name: 'Integration',
    description: 'Connect the proxy to other systems: cloud services, Kafka, Redis, webhooks.',
  },
  {
    slug: 'other',
    name: 'Other',
    description: 'Plugins that fit no other category.',
  },
];

export const CATEGORY_SLUGS: readonly string[] = CATEGORIES.map((c) => c.slug);
