import type { SyntheticRequest } from './trial-types.js';

const OK_RESPONSE: SyntheticRequest['response'] = {
  status: 200,
  headers: [
    ['content-type', 'application/json'],
    ['content-length', '27'],
    ['cache-control', 'no-store'],
  ],
  body: '{"ok":true,"items":[1,2,3]}',
  trailers: [],
};

// Looks like a JWT (header.payload.signature, base64url) but is signed by nobody.
const JWT_LOOKING_TOKEN =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwiaXNzIjoiaHR0cHM6Ly9pc3N1ZXIuZXhhbXBsZS5jb20iLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJlLW5vdC12YWxpZA';

/** The synthetic traffic of a trial when the caller gives none: a page view, a login form post, an API call with a bearer token. */
export const DEFAULT_REQUESTS: readonly SyntheticRequest[] = [
  {
    name: 'GET /',
    method: 'GET',
    path: '/',
    headers: [
      ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'],
      ['accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
      ['accept-language', 'en-US,en;q=0.9'],
      ['accept-encoding', 'gzip, deflate, br'],
      ['x-forwarded-for', '203.0.113.7'],
      ['x-request-id', '5f0c6e1a-3b1e-4d55-9a8e-2f4f4a1b7c01'],
    ],
    body: '',
    trailers: [],
    response: OK_RESPONSE,
  },
  {
    name: 'POST /login',
    method: 'POST',
    path: '/login',
    headers: [
      ['user-agent', 'curl/8.5.0'],
      ['accept', 'application/json'],
      ['content-type', 'application/json'],
      ['content-length', '44'],
      ['x-forwarded-for', '203.0.113.7'],
    ],
    body: '{"username":"alice","password":"correct-pw"}',
    trailers: [],
    response: OK_RESPONSE,
  },
  {
    name: 'GET /api/orders',
    method: 'GET',
    path: '/api/orders?limit=10',
    headers: [
      ['user-agent', 'okhttp/4.12.0'],
      ['accept', 'application/json'],
      ['authorization', `Bearer ${JWT_LOOKING_TOKEN}`],
      ['x-forwarded-for', '198.51.100.23'],
    ],
    body: '',
    trailers: [],
    response: OK_RESPONSE,
  },
];

/** The authority (":authority", request.host) of every synthetic request. */
export const SYNTHETIC_AUTHORITY = 'shop.example.com';
