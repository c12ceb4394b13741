/**
 * Test support: the Envoy messages the generated configuration is made of,
 * and which of their fields lead to further messages we write. The snapshot
 * (envoy-api.snapshot.json) holds these definitions, every field of each, as
 * Envoy's protos have them; envoy-protos.test.ts keeps it equal to the protos.
 */

export const HTTP_FILTER = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter';
export const LISTENER_FILTER = 'envoy.config.listener.v3.Filter';
export const CLUSTER = 'envoy.config.cluster.v3.Cluster';

export const SNAPSHOT_ROOTS = [
  HTTP_FILTER,
  LISTENER_FILTER,
  'envoy.extensions.filters.http.wasm.v3.Wasm',
  'envoy.extensions.filters.network.wasm.v3.Wasm',
  CLUSTER,
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
];

export const SNAPSHOT_FOLLOW: Readonly<Record<string, readonly string[]>> = {
  'envoy.extensions.filters.http.wasm.v3.Wasm': ['config'],
  'envoy.extensions.filters.network.wasm.v3.Wasm': ['config'],
  'envoy.extensions.wasm.v3.PluginConfig': ['vm_config', 'capability_restriction_config'],
  'envoy.extensions.wasm.v3.CapabilityRestrictionConfig': ['allowed_capabilities'],
  'envoy.extensions.wasm.v3.VmConfig': ['code'],
  'envoy.config.core.v3.AsyncDataSource': ['remote'],
  'envoy.config.core.v3.RemoteDataSource': ['http_uri', 'retry_policy'],
  'envoy.config.core.v3.RetryPolicy': ['retry_back_off'],
  [CLUSTER]: ['type', 'load_assignment', 'transport_socket', 'dns_lookup_family'],
  'envoy.config.endpoint.v3.ClusterLoadAssignment': ['endpoints'],
  'envoy.config.endpoint.v3.LocalityLbEndpoints': ['lb_endpoints'],
  'envoy.config.endpoint.v3.LbEndpoint': ['endpoint'],
  'envoy.config.endpoint.v3.Endpoint': ['address'],
  'envoy.config.core.v3.Address': ['socket_address'],
  'envoy.config.core.v3.SocketAddress': ['protocol'],
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext': ['common_tls_context'],
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext': ['validation_context'],
  'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext': ['trusted_ca', 'match_typed_subject_alt_names'],
  'envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher': ['san_type', 'matcher'],
};
