import type { ApiSnapshot, FieldSchema } from './proto-json.js';

/**
 * Test support: the Istio WasmPlugin API as Kubernetes reads it (the JSON
 * names, lowerCamelCase), written from istio/api extensions/v1alpha1/wasm.proto
 * and type/v1beta1/selector.proto, and the parts of a Kubernetes object around
 * it (apiVersion, kind, metadata: ObjectMeta). No npm package ships these
 * definitions.
 */

const field = (name: string, type: string, more: Partial<FieldSchema> = {}): FieldSchema => ({
  name,
  type,
  kind: 'single',
  oneof: null,
  required: false,
  minLen: 0,
  ...more,
});

export const WASM_PLUGIN_RESOURCE = 'k8s.WasmPluginResource';
export const WASM_PLUGIN_SPEC = 'istio.extensions.v1alpha1.WasmPlugin';
/** WasmPlugin.sha256: `+kubebuilder:validation:Pattern="(^$|^[a-f0-9]{64}$)"` */
export const ISTIO_SHA256_PATTERN = /(^$|^[a-f0-9]{64}$)/;

export const ISTIO_API: ApiSnapshot = {
  source: 'istio/api extensions/v1alpha1/wasm.proto, type/v1beta1/selector.proto; Kubernetes ObjectMeta',
  messages: {
    [WASM_PLUGIN_RESOURCE]: {
      fields: [
        field('apiVersion', 'string', { required: true, minLen: 1 }),
        field('kind', 'string', { required: true, minLen: 1 }),
        field('metadata', 'k8s.ObjectMeta', { required: true }),
        field('spec', WASM_PLUGIN_SPEC, { required: true }),
      ],
      oneofs: [],
    },
    'k8s.ObjectMeta': {
      fields: [
        field('name', 'string', { required: true, minLen: 1 }),
        field('generateName', 'string'),
        field('namespace', 'string'),
        field('labels', 'string', { kind: 'map' }),
        field('annotations', 'string', { kind: 'map' }),
      ],
      oneofs: [],
    },
    [WASM_PLUGIN_SPEC]: {
      fields: [
        field('selector', 'istio.type.v1beta1.WorkloadSelector'),
        field('targetRef', 'istio.type.v1beta1.PolicyTargetReference'),
        field('targetRefs', 'istio.type.v1beta1.PolicyTargetReference', { kind: 'repeated' }),
        field('url', 'string', { required: true, minLen: 1 }),
        field('sha256', 'string'),
        field('imagePullPolicy', 'istio.extensions.v1alpha1.PullPolicy'),
        field('imagePullSecret', 'string'),
        field('verificationKey', 'string'),
        field('pluginConfig', 'google.protobuf.Struct'),
        field('pluginName', 'string'),
        field('phase', 'istio.extensions.v1alpha1.PluginPhase'),
        field('priority', 'google.protobuf.Int32Value'),
        field('failStrategy', 'istio.extensions.v1alpha1.FailStrategy'),
        field('vmConfig', 'istio.extensions.v1alpha1.VmConfig'),
        field('match', 'istio.extensions.v1alpha1.WasmPlugin.TrafficSelector', { kind: 'repeated' }),
        field('type', 'istio.extensions.v1alpha1.PluginType'),
      ],
      oneofs: [],
    },
    'istio.type.v1beta1.WorkloadSelector': { fields: [field('matchLabels', 'string', { kind: 'map' })], oneofs: [] },
    'istio.type.v1beta1.PolicyTargetReference': {
      fields: [field('group', 'string'), field('kind', 'string'), field('name', 'string'), field('namespace', 'string')],
      oneofs: [],
    },
    'istio.extensions.v1alpha1.VmConfig': { fields: [field('env', 'istio.extensions.v1alpha1.EnvVar', { kind: 'repeated' })], oneofs: [] },
    'istio.extensions.v1alpha1.EnvVar': {
      fields: [field('name', 'string', { required: true, minLen: 1 }), field('valueFrom', 'istio.extensions.v1alpha1.EnvValueSource'), field('value', 'string')],
      oneofs: [],
    },
    'istio.extensions.v1alpha1.WasmPlugin.TrafficSelector': {
      fields: [field('mode', 'istio.type.v1beta1.WorkloadMode'), field('ports', 'istio.type.v1beta1.PortSelector', { kind: 'repeated' })],
      oneofs: [],
    },
    'istio.type.v1beta1.PortSelector': { fields: [field('number', 'uint32')], oneofs: [] },
  },
  enums: {
    'istio.extensions.v1alpha1.PluginType': ['UNSPECIFIED_PLUGIN_TYPE', 'HTTP', 'NETWORK'],
    'istio.extensions.v1alpha1.PluginPhase': ['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'],
    'istio.extensions.v1alpha1.PullPolicy': ['UNSPECIFIED_POLICY', 'IfNotPresent', 'Always'],
    'istio.extensions.v1alpha1.FailStrategy': ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'],
    'istio.extensions.v1alpha1.EnvValueSource': ['INLINE', 'HOST'],
    'istio.type.v1beta1.WorkloadMode': ['UNDEFINED', 'CLIENT', 'SERVER', 'CLIENT_AND_SERVER'],
  },
};
